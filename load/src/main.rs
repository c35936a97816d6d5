//! `hcp-load`: see the library's documentation (`make load` runs it).

fn main() {
    let args = match hcp_load::Args::parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{}", hcp_load::USAGE);
            return;
        }
        Err(e) => {
            eprintln!("hcp-load: {e}");
            std::process::exit(2)
        }
    };
    // One thread: the tool must not take a core from the server it loads.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    match runtime.block_on(hcp_load::run(&args)) {
        Ok(report) => {
            for line in report.lines() {
                println!("{line}");
            }
        }
        Err(e) => {
            eprintln!("hcp-load: {e}");
            std::process::exit(2)
        }
    }
}
