fn main() -> std::process::ExitCode {
    hojokin::cli::main()
}
