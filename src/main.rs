fn main() -> std::process::ExitCode {
    mlcontain::cli::main()
}
