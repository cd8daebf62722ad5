//! `cargo xtask bench startup`: how long the release app takes from process
//! start until the UI reports it is drawn, and how much memory the whole app
//! (the shell plus WebKit's web and network processes) holds once idle.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::{cargo, exe, headless, run, setup, step, target_dir, ui};

const RUNS: usize = 5;
const IDLE: Duration = Duration::from_secs(5);
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Sets up, builds the UI and then `build` (cargo's arguments), and runs
/// `cargo xtask bench <bench>` again inside one private session and
/// display, so their own start-up is not what is measured.
fn build_then_measure_inside(bench: &str, what: &str, build: &[&str]) -> Result<()> {
    setup::ensure(setup::Purpose::Run)?;
    ui::build()?;
    step(what, || run(cargo().args(build)))?;
    let me = std::env::current_exe().context("find xtask's own path")?;
    let mut cmd = headless::wrap(
        &me,
        headless::Session {
            display: !headless::has_display(),
            keyring: true,
        },
    );
    cmd.args(["bench", bench]).env("REACHLOOP_BENCH_INNER", "1");
    run(&mut cmd)
}

pub fn startup(args: &[&str]) -> Result<()> {
    if !args.is_empty() {
        bail!("`bench startup` takes no arguments");
    }
    // Measure inside one private session and display, so their own start-up
    // is not counted.
    if std::env::var_os("REACHLOOP_BENCH_INNER").is_none() {
        return build_then_measure_inside(
            "startup",
            "build the desktop app (release)",
            &["build", "--release", "-p", "reachloop-desktop"],
        );
    }
    let app = target_dir().join("release").join(exe("reachloop"));
    let data = std::env::temp_dir().join(format!("reachloop-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);

    let mut ready = Vec::new();
    let mut memory = Vec::new();
    for i in 0..RUNS {
        // The first run starts on an empty data directory (creates and migrates the database).
        let (t, m) = one_run(&app, &data, i == RUNS - 1)?;
        println!(
            "run {}: ui ready after {:>5} ms{}",
            i + 1,
            t.as_millis(),
            if i == 0 {
                " (fresh data directory)"
            } else {
                ""
            }
        );
        ready.push(t);
        if let Some(m) = m {
            memory.push(m);
        }
    }
    let tray = tray_run(&app, &data)?;
    let _ = std::fs::remove_dir_all(&data);
    let mut warm: Vec<Duration> = ready[1..].to_vec();
    warm.sort();
    println!("\nstart-up (process start → UI ready), release build:");
    println!("  first run, empty data dir: {} ms", ready[0].as_millis());
    println!(
        "  warm runs: median {} ms, min {} ms, max {} ms (n={})",
        warm[warm.len() / 2].as_millis(),
        warm[0].as_millis(),
        warm[warm.len() - 1].as_millis(),
        warm.len()
    );
    if let Some(m) = memory.first() {
        println!(
            "\nmemory after {} s idle (the app and its WebKit child processes):",
            IDLE.as_secs()
        );
        print_memory(m);
    }
    println!(
        "\nin the tray (started with --tray, no window) after {} s:",
        TRAY_IDLE.as_secs()
    );
    print_memory(&tray.memory);
    println!(
        "  Open (a second launch hands over) → window ready: {} ms",
        tray.open.as_millis()
    );
    Ok(())
}

fn print_memory(m: &Memory) {
    for p in &m.processes {
        println!(
            "  {:<28} RSS {:>7.1} MiB  PSS {:>7.1} MiB",
            p.name,
            mib(p.rss_kib),
            mib(p.pss_kib)
        );
    }
    println!(
        "  total                        RSS {:>7.1} MiB  PSS {:>7.1} MiB",
        mib(m.processes.iter().map(|p| p.rss_kib).sum()),
        mib(m.processes.iter().map(|p| p.pss_kib).sum())
    );
}

/// How long the app sits in the tray before its memory is read.
const TRAY_IDLE: Duration = Duration::from_secs(30);

struct TrayRun {
    memory: Memory,
    open: Duration,
}

/// Starts the app straight into the tray, reads its memory after
/// `TRAY_IDLE`, then opens the window the way the desktop does (a second
/// launch hands over to the running app) and times it until the UI is ready.
fn tray_run(app: &Path, data: &Path) -> Result<TrayRun> {
    let mut child = Command::new(app)
        .arg("--tray")
        .env("REACHLOOP_DATA_DIR", data)
        .env("REACHLOOP_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("start {} --tray", app.display()))?;
    let result = (|| {
        std::thread::sleep(TRAY_IDLE);
        let memory = memory_of_tree(child.id());
        let opened = Instant::now();
        let mut second = Command::new(app)
            .env("REACHLOOP_DATA_DIR", data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("launch a second instance")?;
        let ready = wait_ready(&mut child, opened);
        let _ = second.wait();
        Ok(TrayRun {
            memory,
            open: ready?,
        })
    })();
    let _ = child.kill();
    let _ = child.wait();
    std::thread::sleep(Duration::from_millis(500));
    result
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

struct Memory {
    processes: Vec<ProcMem>,
}

struct ProcMem {
    name: String,
    rss_kib: u64,
    pss_kib: u64,
}

fn one_run(app: &Path, data: &Path, measure_memory: bool) -> Result<(Duration, Option<Memory>)> {
    let started = Instant::now();
    let mut child = Command::new(app)
        .env("REACHLOOP_DATA_DIR", data)
        .env("REACHLOOP_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("start {}", app.display()))?;
    let result = wait_ready(&mut child, started).map(|t| {
        let m = measure_memory.then(|| {
            std::thread::sleep(IDLE);
            memory_of_tree(child.id())
        });
        (t, m)
    });
    let _ = child.kill();
    let _ = child.wait();
    // WebKit's helpers exit with their parent; give them a moment.
    std::thread::sleep(Duration::from_millis(500));
    result
}

fn wait_ready(child: &mut Child, started: Instant) -> Result<Duration> {
    let stderr = child.stderr.take().context("app stderr")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("ui ready") {
                let _ = tx.send(Instant::now());
            }
        }
    });
    match rx.recv_timeout(READY_TIMEOUT) {
        Ok(at) => Ok(at - started),
        Err(_) => bail!(
            "the app did not report `ui ready` within {} s",
            READY_TIMEOUT.as_secs()
        ),
    }
}

/// `cargo xtask bench calendar`: the release app on a data directory with
/// 20,000 upcoming posts this month (publishing paused), opened on
/// Accounts, then on the Calendar's month and week: how long the Calendar
/// took to draw once its data came, and each process's memory and CPU
/// while the page sits idle.
pub fn calendar(args: &[&str]) -> Result<()> {
    if !args.is_empty() {
        bail!("`bench calendar` takes no arguments");
    }
    if std::env::var_os("REACHLOOP_BENCH_INNER").is_none() {
        return build_then_measure_inside(
            "calendar",
            "build the desktop app and the CLI (release)",
            &[
                "build",
                "--release",
                "-p",
                "reachloop-desktop",
                "-p",
                "reachloop",
                "--bin",
                "reachloop",
                "--bin",
                "reachloop-cli",
            ],
        );
    }
    let release = target_dir().join("release");
    // A private parent made here (fails if anything is there already);
    // the CLI makes the data directory inside it.
    let parent = std::env::temp_dir().join(format!(
        "reachloop-bench-cal-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    std::fs::create_dir(&parent).with_context(|| format!("create {}", parent.display()))?;
    let data = parent.join("data");
    run(Command::new(release.join(exe("reachloop-cli")))
        .args(["bench", "calendar-seed", "--posts", "20000", "--into"])
        .arg(&data))?;
    let app = release.join(exe("reachloop"));
    let result = (|| {
        for (label, view) in [
            ("Accounts (before the Calendar)", "nav-accounts"),
            ("Calendar, month of 20,000 posts", "nav-calendar/month"),
            ("Calendar, a week of it", "nav-calendar/week"),
        ] {
            println!("\n{label}:");
            calendar_run(&app, &data, view)?;
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&parent);
    result
}

/// How long a page sits idle before its memory and CPU are read, and
/// how long the CPU is watched.
const CPU_WINDOW: Duration = Duration::from_secs(10);

fn calendar_run(app: &Path, data: &Path, view: &str) -> Result<()> {
    let mut child = Command::new(app)
        .env("REACHLOOP_DATA_DIR", data)
        .env("REACHLOOP_OPEN_VIEW", view)
        .env("REACHLOOP_LOG", "info")
        .env("TZ", "UTC")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("start {}", app.display()))?;
    let result = (|| {
        let stderr = child.stderr.take().context("app stderr")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let calendar = view.starts_with("nav-calendar");
        let wanted = if calendar {
            "calendar drawn"
        } else {
            "ui ready"
        };
        let deadline = Instant::now() + READY_TIMEOUT;
        let line = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.contains(wanted) => break line,
                Ok(_) => {}
                Err(_) => bail!(
                    "the app did not log `{wanted}` within {} s",
                    READY_TIMEOUT.as_secs()
                ),
            }
        };
        if calendar {
            let field = |name: &str| {
                let plain = strip_ansi(&line);
                plain
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix(&format!("{name}=")))
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(f64::NAN)
            };
            println!(
                "  drawn: {:.0} posts counted; data {:.0} ms (asking to answer), render {:.0} ms (answer to drawn page)",
                field("posts"),
                field("data_ms"),
                field("render_ms")
            );
        }
        std::thread::sleep(IDLE);
        let before = cpu_of_tree(child.id());
        std::thread::sleep(CPU_WINDOW);
        let after = cpu_of_tree(child.id());
        let memory = memory_of_tree(child.id());
        print_memory(&memory);
        println!("  CPU while idle ({} s):", CPU_WINDOW.as_secs());
        for (name, ticks) in &after {
            let was = before
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, t)| *t)
                .unwrap_or(0);
            let share =
                (ticks.saturating_sub(was)) as f64 / ticks_per_second() / CPU_WINDOW.as_secs_f64()
                    * 100.0;
            println!("  {name:<28} {share:>5.1} % of a core");
        }
        // Drain what is left, so the app never blocks on a full pipe.
        std::thread::spawn(move || while rx.recv().is_ok() {});
        Ok(())
    })();
    let _ = child.kill();
    let _ = child.wait();
    std::thread::sleep(Duration::from_millis(500));
    result
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The kernel's clock ticks per second (USER_HZ, 100 on Linux).
fn ticks_per_second() -> f64 {
    100.0
}

/// User and system CPU ticks of `root` and its descendants, by name.
fn cpu_of_tree(root: u32) -> Vec<(String, u64)> {
    tree(root)
        .into_iter()
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let name = stat[stat.find('(')? + 1..stat.rfind(')')?].to_string();
            let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
            // After the name: state is field 3, utime 14 and stime 15.
            let utime: u64 = fields.get(11)?.parse().ok()?;
            let stime: u64 = fields.get(12)?.parse().ok()?;
            Some((format!("{name} ({pid})"), utime + stime))
        })
        .collect()
}

/// RSS and PSS of `root` and all its descendants, from /proc.
fn memory_of_tree(root: u32) -> Memory {
    let processes = tree(root)
        .into_iter()
        .filter_map(|pid| {
            let dir = PathBuf::from(format!("/proc/{pid}"));
            let name = std::fs::read_to_string(dir.join("comm"))
                .ok()?
                .trim()
                .to_string();
            let rollup = std::fs::read_to_string(dir.join("smaps_rollup")).ok()?;
            Some(ProcMem {
                name: format!("{name} ({pid})"),
                rss_kib: field_kib(&rollup, "Rss:"),
                pss_kib: field_kib(&rollup, "Pss:"),
            })
        })
        .collect();
    Memory { processes }
}

/// `root` and all its descendants.
fn tree(root: u32) -> Vec<u32> {
    let mut pids = vec![root];
    let mut i = 0;
    while i < pids.len() {
        let parent = pids[i];
        pids.extend(children_of(parent));
        i += 1;
    }
    pids
}

fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| parent_pid(&stat))
                .is_some_and(|ppid| ppid == parent)
        })
        .collect()
}

/// The parent pid from `/proc/<pid>/stat` (the comm field may hold spaces).
fn parent_pid(stat: &str) -> Option<u32> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    after_comm.split_whitespace().nth(1)?.parse().ok()
}

fn field_kib(text: &str, field: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_fields() {
        assert_eq!(parent_pid("1234 (Web Content) S 99 1234 1234 0"), Some(99));
        assert_eq!(parent_pid("garbage"), None);
        assert_eq!(
            field_kib("Rss:              20480 kB\nPss:   1000 kB\n", "Pss:"),
            1000
        );
        assert_eq!(field_kib("", "Rss:"), 0);
    }

    #[test]
    fn walks_this_process_tree() {
        let mut child = Command::new("sleep").arg("5").spawn().expect("spawn sleep");
        let me = std::process::id();
        assert!(children_of(me).contains(&child.id()));
        let m = memory_of_tree(me);
        assert!(m.processes.len() >= 2, "xtask test and its sleep child");
        assert!(m.processes.iter().all(|p| p.rss_kib > 0));
        let _ = child.kill();
        let _ = child.wait();
    }
}
