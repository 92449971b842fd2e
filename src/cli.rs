//! The command line (clap): what each command's flags are, and the init
//! flags as a layer of [`Choices`]. Parsing only: [`crate::commands::main`]
//! parses it and runs the command.

use crate::choices::{parse_nodes, Accel, Choices, DeployTarget, GpuSelection, K8sFlavour, Stage};
use crate::facts::PackageManager;
use crate::usecase::build::BuildRequest;
use crate::version::Version;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "mlcontain",
    version,
    about = "A correct, GPU-ready container setup for a machine-learning repository",
    long_about = "Run `mlcontain` in a repository to open the wizard. It detects the GPUs, driver, \
tooling and project, offers only framework/CUDA/Python combinations the host can run, previews \
the Dockerfile, compose.yaml and .dockerignore live, and writes them (never clobbering your files)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Use line-by-line prompts instead of the full-screen wizard.
    #[arg(long)]
    pub plain: bool,
    /// The repository (default: the current directory).
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// A catalog overlay merged over the embedded catalog (default:
    /// $MLCONTAIN_CATALOG, else ~/.config/mlcontain/catalog.yaml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate the container files (non-interactively with --yes).
    Init(InitArgs),
    /// Report the GPUs, driver, tooling and project mlcontain sees.
    Detect {
        /// Print JSON (schema in the README).
        #[arg(long)]
        json: bool,
    },
    /// Check that this host can build and run GPU containers (and this
    /// project's containers), with fixes.
    Doctor {
        /// Print JSON (schema in the README).
        #[arg(long)]
        json: bool,
    },
    /// Build the image targets with BuildKit.
    Build(BuildArgs),
    /// Run the built image and check the framework sees the GPUs.
    Verify(VerifyArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page, mlcontain(1), as roff (`mlcontain man | man -l -`; install.sh installs it).
    Man,
    /// The compatibility catalog: `show` what it covers, `check` the package index for newer releases.
    Catalog {
        #[command(subcommand)]
        action: CatalogCommand,
    },
}

/// How a flag's value becomes the [`Choices`] field of the same name: an
/// option as it is, a switch as `Some(true)` when given (unset otherwise, so
/// the saved answer or the default stands).
trait Answer<T> {
    fn answer(self) -> T;
}

impl<T> Answer<Option<T>> for Option<T> {
    fn answer(self) -> Option<T> {
        self
    }
}

impl Answer<Option<bool>> for bool {
    fn answer(self) -> Option<bool> {
        self.then_some(true)
    }
}

impl Answer<bool> for bool {
    fn answer(self) -> bool {
        self
    }
}

/// Declares [`InitArgs`]: a field marked `answer` is the flag of the
/// [`Choices`] field of the same name, and [`InitArgs::choices`] is generated
/// from them (an `option` field steers the run and is no answer). A new
/// answer is its `Choices` field plus its flag here.
macro_rules! init_args {
    ($( $(#[$meta:meta])* $kind:ident $field:ident : $ty:ty, )*) => {
        #[derive(Debug, Args, Default, Clone)]
        pub struct InitArgs {
            $( $(#[$meta])* pub $field: $ty, )*
        }

        impl InitArgs {
            /// The answers the flags give (unset where no flag was given).
            pub fn choices(&self) -> Choices {
                let mut c = Choices::default();
                $( init_args!(@$kind c, self, $field); )*
                if let Some(p) = &mut c.platform {
                    p.sort();
                    p.dedup();
                }
                c
            }
        }
    };
    (@answer $c:ident, $args:ident, $field:ident) => {
        $c.$field = Answer::answer($args.$field.clone());
    };
    (@option $c:ident, $args:ident, $field:ident) => {};
}

init_args! {
    /// Use line-by-line prompts instead of the full-screen wizard.
    #[arg(long)]
    option plain: bool,
    /// Ask nothing: unspecified choices take the planner's defaults.
    #[arg(long, short = 'y')]
    option yes: bool,
    /// pytorch, tensorflow, jax, sklearn, xgboost, lightgbm or none.
    #[arg(long)]
    answer framework: Option<String>,
    /// A framework release (e.g. 2.5.1, or 2.5 for the newest 2.5.x).
    #[arg(long, value_name = "V")]
    answer framework_version: Option<Version>,
    /// A CUDA version (e.g. 12.4; 12 = the newest 12.x that runs here) or `cpu`.
    #[arg(long, value_name = "X.Y|cpu")]
    answer cuda: Option<Accel>,
    /// Python version (e.g. 3.11).
    #[arg(long, value_name = "X.Y", value_parser = parse_python_flag)]
    answer python: Option<Version>,
    /// pip, uv, poetry or conda.
    #[arg(long)]
    answer package_manager: Option<PackageManager>,
    /// Comma-separated: training,inference,dev.
    #[arg(long, value_delimiter = ',')]
    answer stages: Option<Vec<Stage>>,
    /// Runtime base image (a private registry or mirror).
    #[arg(long, value_name = "IMAGE")]
    answer base_image: Option<String>,
    /// Prefix every image with this registry/mirror (e.g. registry.example.com/hub).
    #[arg(long, value_name = "HOST/PATH")]
    answer registry: Option<String>,
    /// A wheel-index mirror that replaces PyPI and the framework indexes for
    /// every package manager (it must carry the builds the plan installs).
    #[arg(long, value_name = "URL")]
    answer index_url: Option<String>,
    /// An extra wheel index (repeatable, or comma-separated).
    #[arg(long = "extra-index-url", value_name = "URL", value_delimiter = ',')]
    answer extra_index_urls: Option<Vec<String>>,
    /// Inference port (default 8000).
    #[arg(long)]
    answer port: Option<u16>,
    /// UID/GID of the non-root user (default 10001; at least 1000 unless --allow-low-uid).
    #[arg(long)]
    answer uid: Option<u32>,
    /// Accept a --uid below 1000 (a system account's range on most distributions).
    #[arg(long)]
    option allow_low_uid: bool,
    /// GPUs the compose services reserve: all, a count, or device ids (0,1 or UUIDs).
    #[arg(long, value_name = "all|N|IDS")]
    answer gpus: Option<GpuSelection>,
    /// Where it runs, comma-separated: compose (always), kubernetes, slurm.
    #[arg(long, value_delimiter = ',', value_name = "TARGETS")]
    answer deploy: Option<Vec<DeployTarget>>,
    /// Training nodes for kubernetes/slurm (default 1); --gpus is per node.
    #[arg(long, value_name = "N", value_parser = parse_nodes)]
    answer nodes: Option<u32>,
    /// Write docker-bake.hcl (one bake target per stage, registry cache); also
    /// written when --deploy names kubernetes or slurm.
    #[arg(long)]
    answer bake: bool,
    /// Kubernetes: only nodes with this GPU product (e.g. NVIDIA-H100-80GB-HBM3).
    #[arg(long, value_name = "PRODUCT")]
    answer gpu_product: Option<String>,
    /// Kubernetes: the MIG profile of the MIG overlay (default 1g.10gb).
    #[arg(long, value_name = "PROFILE")]
    answer mig_profile: Option<String>,
    /// Kubernetes: also a JobSet and/or a Kubeflow PyTorchJob for training, a
    /// KServe InferenceService for inference (comma-separated).
    #[arg(long = "k8s-flavour", value_delimiter = ',', value_name = "jobset,pytorchjob,kserve")]
    answer k8s_flavours: Option<Vec<K8sFlavour>>,
    /// Keep the project's own Dockerfile: compose.yaml and README.Docker.md
    /// build the stages it has (`FROM ... AS name`), and no Dockerfile is written.
    #[arg(long)]
    answer keep_dockerfile: bool,
    /// The training entry point: a file the code scan found (see --dry-run), or none.
    #[arg(long, value_name = "FILE|none")]
    answer training: Option<crate::choices::EntryChoice>,
    /// The inference entry point (server): a file the code scan found, or none.
    #[arg(long, value_name = "FILE|none")]
    answer inference: Option<crate::choices::EntryChoice>,
    /// Emit `# syntax=docker/dockerfile:1` (the build then fetches that frontend image).
    #[arg(long)]
    answer syntax: bool,
    /// Ship precompiled bytecode: faster container start, larger image.
    #[arg(long)]
    answer bytecode: bool,
    /// Print the files and write nothing.
    #[arg(long)]
    option dry_run: bool,
    /// Exit non-zero when the files on disk differ from what mlcontain.yaml generates (for CI).
    #[arg(long)]
    option check: bool,
    /// Replace files that exist and differ (a .bak copy is kept).
    #[arg(long)]
    option force: bool,
    /// With --force: keep no .bak copies.
    #[arg(long)]
    option no_backup: bool,
    /// Target platforms: linux/amd64, linux/arm64, or both comma-separated
    /// (default: this host's). Kernel lists and wheels are checked for each.
    #[arg(long, value_name = "linux/amd64|linux/arm64", value_delimiter = ',')]
    answer platform: Option<Vec<crate::platform::Platform>>,
    /// The catalog overlay (set from the global --catalog).
    #[arg(skip)]
    option catalog: Option<PathBuf>,
    /// Generate combinations this host cannot run (e.g. to deploy elsewhere).
    #[arg(long)]
    answer allow_incompatible: bool,
    /// Print the plan's explanations and the files as JSON (for tools).
    #[arg(long)]
    option json: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct BuildArgs {
    /// Print the result as JSON on stdout (schema in the README); the
    /// engine's own output goes to stderr.
    #[arg(long)]
    pub json: bool,
    /// training, inference, dev or all (or a comma-separated list).
    #[arg(long, default_value = "all")]
    pub target: String,
    /// Image name: used as given for one target; with several, `-<target>`
    /// is added to it. Default: `<project>-<target>` (project = the folder's
    /// name, or COMPOSE_PROJECT_NAME), the names docker compose uses.
    #[arg(long, value_name = "NAME")]
    pub tag: Option<String>,
    /// Build with `docker compose build` (the services of compose.yaml).
    #[arg(long)]
    pub compose: bool,
    /// Build without the layer cache (`--no-cache`).
    #[arg(long)]
    pub no_cache: bool,
    /// The engine's progress output: auto, plain, tty or quiet.
    #[arg(long, value_name = "MODE")]
    pub progress: Option<String>,
    /// Target platforms (`linux/amd64`, `linux/arm64`, or both comma-separated
    /// for a multi-platform build through buildx). Default: mlcontain.yaml's
    /// `platform:`, else the engine's own.
    #[arg(long, value_name = "PLATFORMS")]
    pub platform: Option<String>,
    /// Print the commands and run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Build with `docker buildx bake` from docker-bake.hcl (every target,
    /// registry cache), after checking the engine can (image store, driver).
    #[arg(long)]
    pub bake: bool,
    /// With --bake: push the images (and the registry build cache) to the
    /// registry named in docker-bake.hcl.
    #[arg(long, requires = "bake")]
    pub push: bool,
    /// Extra arguments for the engine's build, after `--`
    /// (e.g. `-- --progress=plain --no-cache`).
    #[arg(last = true, value_name = "DOCKER ARGS")]
    pub extra: Vec<String>,
}

impl BuildArgs {
    /// The build use case's request.
    pub fn request(&self) -> BuildRequest {
        BuildRequest {
            json: self.json,
            target: self.target.clone(),
            tag: self.tag.clone(),
            compose: self.compose,
            no_cache: self.no_cache,
            progress: self.progress.clone(),
            platform: self.platform.clone(),
            dry_run: self.dry_run,
            bake: self.bake,
            push: self.push,
            extra: self.extra.clone(),
        }
    }
}

#[derive(Debug, Args, Clone, Default)]
pub struct VerifyArgs {
    /// Print the result as JSON on stdout (schema in the README); the
    /// engine's own output goes to stderr.
    #[arg(long)]
    pub json: bool,
    /// training, inference or dev (default: every target of the plan).
    #[arg(long)]
    pub target: Option<String>,
    /// The image name given to `mlcontain build --tag` (default `<project>-<target>`).
    #[arg(long, value_name = "NAME")]
    pub tag: Option<String>,
    /// Check a CUDA image without GPUs (import and a CPU computation only).
    #[arg(long)]
    pub no_gpus: bool,
    /// Seconds to wait for the inference container to turn healthy.
    #[arg(long, default_value_t = 120, value_name = "SECS")]
    pub timeout: u64,
    /// Check the image for this platform (e.g. linux/arm64 of a
    /// multi-platform image): its Python must be a binary for it. The
    /// framework check runs only when it is this host's platform.
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Print the catalog's date, sources and what it covers.
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Ask the package index for releases newer than the catalog knows.
    Check(CheckArgs),
}

impl CatalogCommand {
    pub fn json(&self) -> bool {
        match self {
            CatalogCommand::Show { json } => *json,
            CatalogCommand::Check(a) => a.json,
        }
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The index's simple API (default: from UV_DEFAULT_INDEX, UV_INDEX_URL,
    /// PIP_INDEX_URL, uv.toml or pip.conf; else PyPI).
    #[arg(long, value_name = "URL")]
    pub index: Option<String>,
    /// Seconds per request.
    #[arg(long, default_value_t = 20)]
    pub timeout: u64,
    #[arg(long)]
    pub json: bool,
}

/// `--python`: exactly `3.Y` (digits, no leading zero, no sign), the form
/// a base image tag takes.
fn parse_python_flag(s: &str) -> Result<Version, String> {
    crate::choices::strict_python(s)?;
    s.parse::<Version>().map_err(|e| e.to_string())
}

impl Command {
    /// Whether the command was asked for JSON output.
    pub fn json(&self) -> bool {
        match self {
            Command::Init(a) => a.json,
            Command::Detect { json } | Command::Doctor { json } => *json,
            Command::Build(b) => b.json,
            Command::Verify(v) => v.json,
            Command::Catalog { action } => action.json(),
            Command::Completions { .. } | Command::Man => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn init(args: &[&str]) -> InitArgs {
        let cli = Cli::try_parse_from([&["mlcontain", "init"], args].concat()).unwrap();
        match cli.command {
            Some(Command::Init(a)) => a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags_become_the_answers_of_the_same_name() {
        let c = init(&[
            "--cuda",
            "cpu",
            "--bake",
            "--k8s-flavour",
            "jobset,kserve",
            "--extra-index-url",
            "https://a.example/simple",
            "--platform",
            "linux/arm64,linux/amd64,linux/arm64",
            "--allow-incompatible",
            "--dry-run",
        ])
        .choices();
        assert_eq!(c.cuda, Some(Accel::Cpu));
        assert_eq!(c.bake, Some(true));
        assert_eq!(
            c.k8s_flavours,
            Some(vec![K8sFlavour::Jobset, K8sFlavour::Kserve])
        );
        assert_eq!(
            c.extra_index_urls.as_deref(),
            Some(&["https://a.example/simple".to_string()][..])
        );
        assert_eq!(
            c.platform,
            Some(vec![
                crate::platform::Platform::Amd64,
                crate::platform::Platform::Arm64
            ]),
            "sorted, duplicates dropped"
        );
        assert!(c.allow_incompatible);
        // A switch not given leaves the answer unset (the saved one stands).
        assert_eq!(
            (c.syntax, c.keep_dockerfile, c.framework),
            (None, None, None)
        );
        assert_eq!(init(&[]).choices(), Choices::default());
    }
}

#[cfg(test)]
mod build_args_tests {
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn parse(args: &[&str]) -> super::BuildArgs {
        match Cli::try_parse_from(args).unwrap().command {
            Some(Command::Build(b)) => b,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags_and_trailing_docker_args() {
        let b = parse(&[
            "mlcontain",
            "build",
            "--target",
            "inference",
            "--tag",
            "me/x:1",
            "--no-cache",
            "--progress",
            "plain",
            "--",
            "--build-arg",
            "A=1",
            "--pull",
        ]);
        assert_eq!(b.target, "inference");
        assert_eq!(b.tag.as_deref(), Some("me/x:1"));
        assert!(b.no_cache && !b.compose);
        assert_eq!(b.progress.as_deref(), Some("plain"));
        assert_eq!(b.extra, vec!["--build-arg", "A=1", "--pull"]);
        let b = parse(&["mlcontain", "build", "--compose"]);
        assert_eq!(b.target, "all");
        assert!(b.compose && b.extra.is_empty());
        let b = parse(&["mlcontain", "build", "--platform", "linux/arm64"]);
        assert_eq!(b.platform.as_deref(), Some("linux/arm64"));
    }
}
