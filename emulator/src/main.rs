//! `cubby-emulator [--dev] [--config FILE] [--app-dir DIR] [--data-dir DIR] [--log]`

use cubby_emulator::{EmulatorConfig, Ports};
use std::path::PathBuf;

const USAGE: &str =
    "usage: cubby-emulator [--dev] [--config FILE] [--app-dir DIR] [--data-dir DIR] [--log]

  --dev           development defaults: app on http://127.0.0.1:8080, Hosted UI 9001,
                  Cognito Identity 9002, STS 9003, S3 9004, admin 9005, two demo users,
                  data in emulator-data/ (used when no --config is given)
  --config FILE   a JSON config file (see emulator/dev.json)
  --app-dir DIR   serve the built app from DIR (SPA fallback to index.html)
  --data-dir DIR  where objects are stored
  --log           print one line per request (no query strings, no secrets)";

fn main() {
    let mut args = std::env::args().skip(1);
    let mut config_file: Option<PathBuf> = None;
    let mut app_dir: Option<PathBuf> = None;
    let mut data_dir: Option<PathBuf> = None;
    let mut dev = false;
    let mut log = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dev" => dev = true,
            "--log" => log = true,
            "--config" => config_file = args.next().map(PathBuf::from),
            "--app-dir" => app_dir = args.next().map(PathBuf::from),
            "--data-dir" => data_dir = args.next().map(PathBuf::from),
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => {
                eprintln!("unknown argument {other:?}\n{USAGE}");
                std::process::exit(2);
            }
        }
    }
    let mut config = match &config_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
                eprintln!("cannot read {}: {e}", path.display());
                std::process::exit(2);
            });
            EmulatorConfig::from_json(&text).unwrap_or_else(|e| {
                eprintln!("{}: {e}", path.display());
                std::process::exit(2);
            })
        }
        None => {
            if !dev {
                eprintln!("note: no --config given, using the --dev defaults");
            }
            EmulatorConfig::dev()
        }
    };
    if dev && config_file.is_some() && config.ports.app == 0 {
        config.ports = Ports::dev();
    }
    if app_dir.is_some() {
        config.app_dir = app_dir;
    }
    if let Some(d) = data_dir {
        config.data_dir = d;
    }
    config.log_requests |= log;
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(async move {
        let emu = match cubby_emulator::start(config).await {
            Ok(e) => e,
            Err(e) => {
                eprintln!("cubby-emulator: {e}");
                std::process::exit(1);
            }
        };
        let u = emu.urls();
        println!("cubby-emulator running (Ctrl-C to stop)");
        println!("  app               {}", u.app);
        println!("  Hosted UI         {}", u.hosted_ui);
        println!("  Cognito Identity  {}", u.identity);
        println!("  STS               {}", u.sts);
        println!("  S3 (path-style)   {}/{}", u.s3, emu.config().bucket);
        println!("  admin             {}/__admin/stats", u.admin);
        match &emu.config().app_dir {
            Some(d) => println!("  serving app from  {}", d.display()),
            None => println!("  no --app-dir: the app port serves /config.json only"),
        }
        println!("  data              {}", emu.config().data_dir.display());
        println!("demo users (emulator only):");
        for user in &emu.config().users {
            println!("  {:<10} password {}", user.username, user.password);
        }
        let _ = tokio::signal::ctrl_c().await;
        println!("stopping");
        emu.shutdown().await;
    });
}
