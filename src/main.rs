#![deny(clippy::unwrap_used, clippy::expect_used)]
fn main() -> std::process::ExitCode {
    hojokin::cli::main()
}
