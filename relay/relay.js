// Reachloop's sign-in relay: forwards a platform's OAuth redirect
// (https://<relay>/oauth/<platform>/callback/?code=…&state=…) to the app's
// deep link (reachloop://oauth/<platform>/callback?code=…&state=…).
// Only the OAuth answer's own parameters are forwarded; the fragment
// (Instagram appends "#_") is dropped. Nothing is stored or sent elsewhere.
(function () {
  "use strict";

  var PLATFORMS = ["x", "youtube", "facebook", "instagram", "tiktok"];
  var FORWARDED = ["code", "state", "error", "error_reason", "error_description"];

  // The deep link for a relay page address, or null if it is not one.
  function target(pathname, search) {
    var m = /\/oauth\/([a-z]+)\/callback\/?(?:index\.html)?$/.exec(pathname);
    if (!m || PLATFORMS.indexOf(m[1]) < 0) {
      return null;
    }
    var params = new URLSearchParams(search);
    var out = new URLSearchParams();
    FORWARDED.forEach(function (key) {
      if (params.has(key)) {
        out.set(key, params.get(key));
      }
    });
    return "reachloop://oauth/" + m[1] + "/callback?" + out.toString();
  }

  if (typeof module !== "undefined" && module.exports) {
    module.exports = { target: target };
    return;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var message = document.getElementById("message");
    var link = document.getElementById("open");
    var url = target(window.location.pathname, window.location.search);
    if (!url) {
      message.textContent = "This is not a Reachloop sign-in address.";
      return;
    }
    // Keep the authorization code out of the browser history.
    window.history.replaceState(null, "", window.location.pathname);
    link.href = url;
    link.hidden = false;
    window.location.href = url;
  });
})();
