fn main() -> std::process::ExitCode {
    mlcontain::commands::main()
}
