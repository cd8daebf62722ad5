// Loads the Yew app compiled to wasm32 (JS glue from wasm-bindgen).
import init from "./reachloop-ui.js";
init();
