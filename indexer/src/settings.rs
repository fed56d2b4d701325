//! Settings from a TOML file beside flags and environment variables, for the services'
//! binaries (`tributary-indexer`, `tributary-api`).
//!
//! `--config FILE` (or `TRIBUTARY_CONFIG`) names a TOML table whose keys are the binary's long
//! flags (`poll-ms` or `poll_ms`). Precedence: a flag, then its environment variable, then the
//! file, then the built-in default. A secret (a setting whose environment value `--help` hides:
//! the database URL, the node URLs) is refused in a file: secrets come from the environment or
//! from files of their own, never from a settings file that gets copied and committed.

use std::{ffi::OsString, fs, path::PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Arg, ArgMatches, Command, Parser};

/// The `--config` argument's id.
const CONFIG: &str = "config";

/// Parses `P` from the process's arguments and environment and the settings file they name.
pub fn parse<P: Parser>() -> Result<P> {
    parse_from(std::env::args_os().collect(), |name| std::env::var_os(name))
}

/// [`parse`] over `args` (program name first) and the environment `env`.
pub fn parse_from<P: Parser>(
    args: Vec<OsString>,
    env: impl Fn(&str) -> Option<OsString>,
) -> Result<P> {
    let mut command = with_config_arg(P::command());
    if let Some(path) = config_path(&args, &env) {
        command = apply_file(command, &path)?;
    }
    let matches: ArgMatches = command
        .try_get_matches_from(args)
        .unwrap_or_else(|error| error.exit());
    P::from_arg_matches(&matches).map_err(|error| error.exit())
}

fn with_config_arg(command: Command) -> Command {
    command.arg(
        Arg::new(CONFIG)
            .long(CONFIG)
            .env("TRIBUTARY_CONFIG")
            .value_name("FILE")
            .value_parser(clap::value_parser!(PathBuf))
            .help(
                "A TOML file of settings, keyed by the long flags (docs/config.md); flags and \
                 environment variables override it. Secrets are refused in it.",
            ),
    )
}

/// `--config FILE`, `--config=FILE`, else `TRIBUTARY_CONFIG`.
fn config_path(args: &[OsString], env: &impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let mut args = args.iter().skip(1);
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        if text == "--config" {
            return args.next().map(PathBuf::from);
        }
        if let Some(path) = text.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
        if text == "--" {
            break;
        }
    }
    env("TRIBUTARY_CONFIG").map(PathBuf::from)
}

/// `command` with each setting of the file at `path` as its argument's default.
fn apply_file(mut command: Command, path: &PathBuf) -> Result<Command> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("reading the settings file {}", path.display()))?;
    let table: toml::Table = toml::from_str(&text)
        .with_context(|| format!("{} is not a TOML table of settings", path.display()))?;
    for (key, value) in table {
        let id = key.replace('-', "_");
        let Some(arg) = command
            .get_arguments()
            .find(|arg| arg.get_id() == id.as_str() && arg.get_long().is_some())
        else {
            let known: Vec<_> = command
                .get_arguments()
                .filter_map(Arg::get_long)
                .filter(|long| *long != CONFIG)
                .collect();
            bail!(
                "{}: unknown setting {key:?}; the settings are: {}",
                path.display(),
                known.join(", ")
            );
        };
        if id == CONFIG {
            bail!(
                "{}: a settings file cannot name another one",
                path.display()
            );
        }
        if arg.is_hide_env_values_set() {
            let variable = arg
                .get_env()
                .map_or_else(String::new, |name| name.to_string_lossy().into_owned());
            bail!(
                "{}: {key} is a secret: set it in the environment ({variable}), never in a \
                 settings file",
                path.display()
            );
        }
        let value = match value {
            toml::Value::String(text) => text,
            toml::Value::Integer(number) => number.to_string(),
            toml::Value::Boolean(flag) => flag.to_string(),
            toml::Value::Float(number) => number.to_string(),
            _ => bail!(
                "{}: {key} must be a string, a number or a boolean",
                path.display()
            ),
        };
        command = command.mut_arg(id, |arg| arg.default_value(value));
    }
    Ok(command)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[derive(Debug, Parser)]
    struct Demo {
        #[arg(long, env = "DEMO_POLL_MS", default_value_t = 1000)]
        poll_ms: u64,
        #[arg(long, env = "DEMO_SECRET_URL", hide_env_values = true)]
        secret_url: Option<String>,
        #[arg(long, default_value = "a")]
        name: String,
    }

    fn file(contents: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(contents.as_bytes()).expect("write");
        file
    }

    fn parse_demo(args: &[&str], env: &[(&str, &str)]) -> Result<Demo> {
        let env: Vec<(String, OsString)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(*v)))
            .collect();
        parse_from(
            std::iter::once("demo")
                .chain(args.iter().copied())
                .map(OsString::from)
                .collect(),
            move |name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
        )
    }

    #[test]
    fn the_file_sets_defaults_that_flags_override() {
        let settings = file("poll-ms = 50\nname = \"from-file\"\n");
        let path = settings.path().to_str().expect("utf-8");
        let demo = parse_demo(&["--config", path], &[]).expect("parse");
        assert_eq!((demo.poll_ms, demo.name.as_str()), (50, "from-file"));
        let demo =
            parse_demo(&[&format!("--config={path}"), "--poll-ms", "7"], &[]).expect("parse");
        assert_eq!(demo.poll_ms, 7, "a flag wins over the file");
        let demo = parse_demo(&[], &[("TRIBUTARY_CONFIG", path)]).expect("parse");
        assert_eq!(demo.poll_ms, 50, "TRIBUTARY_CONFIG names the file too");
        assert_eq!(
            parse_demo(&[], &[]).expect("parse").poll_ms,
            1000,
            "no file: the default"
        );
    }

    #[test]
    fn secrets_unknown_keys_and_tables_are_refused() {
        let secret = file("secret_url = \"postgres://user:pw@db/x\"\n");
        let error = parse_demo(&["--config", secret.path().to_str().expect("utf-8")], &[])
            .expect_err("a secret in the file");
        let message = format!("{error:#}");
        assert!(
            message.contains("secret") && message.contains("DEMO_SECRET_URL"),
            "{message}"
        );
        assert!(
            !message.contains("pw@db"),
            "the secret itself is never echoed: {message}"
        );
        let unknown = file("pol-ms = 5\n");
        let message = format!(
            "{:#}",
            parse_demo(&["--config", unknown.path().to_str().expect("utf-8")], &[])
                .expect_err("an unknown key")
        );
        assert!(
            message.contains("unknown setting \"pol-ms\"") && message.contains("poll-ms"),
            "{message}"
        );
        let nested = file("[poll]\nms = 5\n");
        assert!(parse_demo(&["--config", nested.path().to_str().expect("utf-8")], &[]).is_err());
        let broken = file("poll-ms = ");
        assert!(parse_demo(&["--config", broken.path().to_str().expect("utf-8")], &[]).is_err());
    }
}
