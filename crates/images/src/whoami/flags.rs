//! whoami's command line and environment, parsed like Go's `flag` package.
//!
//! Flags are written `-name value`, `-name=value`, `--name value` or
//! `--name=value`; boolean flags take no separate value. Parsing stops at the
//! first non-flag argument or at `--`. Each flavour defines its own flags:
//!
//! | flag | traefik/whoami | sixeyed/whoami |
//! |---|---|---|
//! | `port` | default `$WHOAMI_PORT_NUMBER`, else `80` | default `80` |
//! | `name` | default `$WHOAMI_NAME` | default `$WHOAMI_NAME` |
//! | `verbose` (bool) | access log on stderr | — |
//! | `allowed-origins` | default `$WHOAMI_ALLOWED_ORIGINS`, else `*` | — |
//! | `mode` | — | default `$WHOAMI_MODE`; `q` is quiet |
//! | `cert`, `key` | TLS (unsupported here) | TLS (unsupported here) |
//! | `cacert` | mutual TLS (unsupported here) | — |

use std::io;

use super::Flavor;
use super::golang::parse_bool;

/// How a flag takes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Text,
}

/// The flags of each flavour.
fn definitions(flavor: Flavor) -> &'static [(&'static str, Kind)] {
    match flavor {
        Flavor::Traefik => &[
            ("verbose", Kind::Bool),
            ("cert", Kind::Text),
            ("key", Kind::Text),
            ("cacert", Kind::Text),
            ("port", Kind::Text),
            ("name", Kind::Text),
            ("allowed-origins", Kind::Text),
        ],
        Flavor::Sixeyed => &[
            ("cert", Kind::Text),
            ("key", Kind::Text),
            ("port", Kind::Text),
            ("name", Kind::Text),
            ("mode", Kind::Text),
        ],
    }
}

/// whoami's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    pub(crate) flavor: Flavor,
    /// The port as given: Go listens on `":" + port`.
    pub(crate) port: String,
    /// Printed as `Name:` and in `/api` when not empty.
    pub(crate) name: String,
    /// traefik: log each request on stderr.
    pub(crate) verbose: bool,
    /// traefik: the `Access-Control-Allow-Origin` of `/api`.
    pub(crate) allowed_origins: String,
    /// sixeyed: `/` stops after the `IP:` lines.
    pub(crate) quiet: bool,
}

impl Config {
    /// Parses `args` (without the program name) with defaults from `env`.
    ///
    /// Errors, with Go's wording, on undefined flags, missing values and bad
    /// booleans, and on TLS flags, which kubelite's whoami does not serve.
    pub(crate) fn parse(
        flavor: Flavor,
        args: &[String],
        env: &[(String, String)],
    ) -> io::Result<Config> {
        let getenv = |key: &str| {
            env.iter()
                .rev()
                .find(|(k, _)| k == key)
                .map_or("", |(_, v)| v.as_str())
        };
        let or_default = |value: &str, default: &str| {
            if value.is_empty() {
                default.to_owned()
            } else {
                value.to_owned()
            }
        };
        let mut config = Config {
            flavor,
            port: match flavor {
                Flavor::Traefik => or_default(getenv("WHOAMI_PORT_NUMBER"), "80"),
                Flavor::Sixeyed => "80".to_owned(),
            },
            name: getenv("WHOAMI_NAME").to_owned(),
            verbose: false,
            allowed_origins: or_default(getenv("WHOAMI_ALLOWED_ORIGINS"), "*"),
            quiet: false,
        };
        let mut mode = getenv("WHOAMI_MODE").to_owned();
        let (mut cert, mut key, mut cacert) = (String::new(), String::new(), String::new());

        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            let Some(flag) = arg.strip_prefix('-').filter(|f| !f.is_empty()) else {
                break;
            };
            let flag = match flag.strip_prefix('-') {
                Some("") => break,
                Some(long) => long,
                None => flag,
            };
            if flag.starts_with('-') || flag.starts_with('=') {
                return Err(invalid(format!("bad flag syntax: {arg}")));
            }
            let (name, inline) = match flag.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (flag, None),
            };
            let Some(&(_, kind)) = definitions(flavor).iter().find(|(n, _)| *n == name) else {
                return Err(invalid(format!("flag provided but not defined: -{name}")));
            };
            let value = match (kind, inline) {
                (Kind::Bool, None) => "true".to_owned(),
                (Kind::Bool, Some(v)) | (Kind::Text, Some(v)) => v.to_owned(),
                (Kind::Text, None) => rest
                    .next()
                    .cloned()
                    .ok_or_else(|| invalid(format!("flag needs an argument: -{name}")))?,
            };
            match name {
                "verbose" => {
                    config.verbose = parse_bool(&value).ok_or_else(|| {
                        invalid(format!(
                            "invalid boolean value \"{value}\" for -{name}: parse error"
                        ))
                    })?;
                }
                "port" => config.port = value,
                "name" => config.name = value,
                "allowed-origins" => config.allowed_origins = value,
                "mode" => mode = value,
                "cert" => cert = value,
                "key" => key = value,
                "cacert" => cacert = value,
                _ => unreachable!("every defined flag is handled"),
            }
        }
        config.quiet = flavor == Flavor::Sixeyed && mode == "q";
        if (!cert.is_empty() && !key.is_empty()) || !cacert.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "kubelite's built-in whoami serves plain HTTP only: -cert, -key and -cacert are not supported",
            ));
        }
        Ok(config)
    }

    /// The TCP port to listen on, erroring like Go's `net.Listen` on a bad one.
    pub(crate) fn port_number(&self) -> io::Result<u16> {
        self.port
            .parse()
            .map_err(|_| invalid(format!("listen tcp: address :{}: invalid port", self.port)))
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn parse(flavor: Flavor, args: &[&str], vars: &[(&str, &str)]) -> io::Result<Config> {
        Config::parse(flavor, &strings(args), &env(vars))
    }

    #[test]
    fn defaults() {
        let c = parse(Flavor::Traefik, &[], &[]).unwrap();
        assert_eq!(c.port, "80");
        assert_eq!(c.name, "");
        assert!(!c.verbose);
        assert_eq!(c.allowed_origins, "*");
        assert!(!c.quiet);
        assert_eq!(c.port_number().unwrap(), 80);
    }

    #[test]
    fn environment_defaults_per_flavor() {
        let vars = [
            ("WHOAMI_PORT_NUMBER", "8080"),
            ("WHOAMI_NAME", "blue"),
            ("WHOAMI_MODE", "q"),
            ("WHOAMI_ALLOWED_ORIGINS", "https://example.com"),
        ];
        let t = parse(Flavor::Traefik, &[], &vars).unwrap();
        assert_eq!(
            (t.port.as_str(), t.name.as_str(), t.quiet),
            ("8080", "blue", false)
        );
        assert_eq!(t.allowed_origins, "https://example.com");
        let s = parse(Flavor::Sixeyed, &[], &vars).unwrap();
        assert_eq!(
            (s.port.as_str(), s.name.as_str(), s.quiet),
            ("80", "blue", true)
        );
        // An empty variable means unset for the port, as Go's getEnv does.
        let e = parse(Flavor::Traefik, &[], &[("WHOAMI_PORT_NUMBER", "")]).unwrap();
        assert_eq!(e.port, "80");
    }

    #[test]
    fn flag_spellings() {
        for args in [
            &["--port=2001", "--name=iamfoo"][..],
            &["-port", "2001", "-name", "iamfoo"],
            &["--port", "2001", "-name=iamfoo"],
            &["-port=2001", "--name", "iamfoo", "ignored", "-verbose"],
        ] {
            let c = parse(Flavor::Traefik, args, &[("WHOAMI_NAME", "env")]).unwrap();
            assert_eq!(
                (c.port.as_str(), c.name.as_str()),
                ("2001", "iamfoo"),
                "{args:?}"
            );
            assert!(!c.verbose, "{args:?}");
        }
        let c = parse(Flavor::Traefik, &["-verbose", "--", "-port=1"], &[]).unwrap();
        assert!(c.verbose);
        assert_eq!(c.port, "80");
        assert!(
            !parse(Flavor::Traefik, &["--verbose=false"], &[])
                .unwrap()
                .verbose
        );
        assert!(parse(Flavor::Sixeyed, &["--mode", "q"], &[]).unwrap().quiet);
    }

    #[test]
    fn errors_worded_like_go() {
        let cases: [(Flavor, &[&str], &str); 6] = [
            (
                Flavor::Traefik,
                &["--mode=q"],
                "flag provided but not defined: -mode",
            ),
            (
                Flavor::Sixeyed,
                &["-verbose"],
                "flag provided but not defined: -verbose",
            ),
            (
                Flavor::Traefik,
                &["--port"],
                "flag needs an argument: -port",
            ),
            (Flavor::Traefik, &["---port"], "bad flag syntax: ---port"),
            (
                Flavor::Traefik,
                &["-verbose=yes"],
                "invalid boolean value \"yes\" for -verbose: parse error",
            ),
            (
                Flavor::Traefik,
                &["--cert", "c.pem", "--key", "k.pem"],
                "kubelite's built-in whoami serves plain HTTP only: -cert, -key and -cacert are not supported",
            ),
        ];
        for (flavor, args, message) in cases {
            let err = parse(flavor, args, &[]).unwrap_err();
            assert_eq!(err.to_string(), message, "{args:?}");
        }
        let bad_port = parse(Flavor::Traefik, &["--port=http"], &[]).unwrap();
        assert_eq!(
            bad_port.port_number().unwrap_err().to_string(),
            "listen tcp: address :http: invalid port"
        );
    }
}
