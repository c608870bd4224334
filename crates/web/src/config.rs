//! 服务配置 (server configuration): a TOML file (`docs/fangpin.example.toml` documents every
//! key) plus environment variables `FANGPIN_*`, which win over the file.

use serde::Deserialize;
use service::accounts::LoginPolicy;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Everything `fangpin serve` needs besides the database and key, which the global CLI
/// options (`--database-url`, `--key-file`) give.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on. Behind a reverse proxy that terminates TLS, keep it on
    /// 127.0.0.1 or the intranet interface.
    pub listen: SocketAddr,
    /// Set when users reach the service over HTTPS (TLS at the reverse proxy): session
    /// cookies are then marked `Secure`.
    pub https: bool,
    /// Read the client address (audit log, rate limits) from `X-Forwarded-For`, as
    /// appended by the reverse proxies of `trusted_proxies`. Only when a proxy is in front.
    pub behind_proxy: bool,
    /// Addresses of the reverse proxies whose `X-Forwarded-For` entries are believed.
    /// The client address is the rightmost entry not appended by one of them: what a
    /// client writes into the header itself lies to the left and is never taken. A
    /// request arriving from any other address is taken at its connection's address.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Largest request body (uploads of import files), in MiB.
    pub max_body_mib: u32,
    /// Failed logins in a row before an account is locked.
    pub max_login_failures: u32,
    /// Minutes an account stays locked.
    pub lockout_minutes: u32,
    /// Hours a browser session lasts.
    pub session_hours: u32,
    /// Minutes a session may stay unused before it ends (等保: 会话超时).
    pub idle_minutes: u32,
    /// Sign-in attempts one client address may make per minute (any account); beyond
    /// them 429 with Retry-After.
    pub login_attempts_per_minute: u32,
    /// Full ID numbers or phones one client address may reveal per hour.
    pub reveals_per_hour: u32,
    /// Seconds a request may take before it is answered 503 (imports of large files
    /// excepted: they are bounded by the body limit).
    pub request_timeout_secs: u32,
    /// 上传目录: the folder, owned by the service alone, where an uploaded file is kept
    /// while its request runs (relative paths from the working directory, like the
    /// database and the key file). Created 0700; emptied when the service starts, since
    /// what a crash left there is personal data no request will remove.
    pub upload_dir: PathBuf,
    /// Seconds a request waits for SQLite's write lock (held by an import, a feed or a
    /// screening job while it writes) before it is answered 503 `unavailable` with
    /// `Retry-After`. Jobs themselves wait as long as the command line.
    pub write_wait_secs: u32,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            https: false,
            behind_proxy: false,
            trusted_proxies: vec![
                std::net::IpAddr::from([127, 0, 0, 1]),
                std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
            ],
            max_body_mib: 64,
            max_login_failures: 5,
            lockout_minutes: 15,
            session_hours: 10,
            idle_minutes: 30,
            login_attempts_per_minute: 20,
            reveals_per_hour: 120,
            request_timeout_secs: 300,
            upload_dir: PathBuf::from("uploads"),
            write_wait_secs: 5,
        }
    }
}

/// A configuration that cannot be used, in Chinese.
#[derive(Debug, thiserror::Error)]
#[error("服务配置有误：{0}")]
pub struct ConfigError(pub String);

impl ServerConfig {
    /// Reads `path` (if given) and applies the environment.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let mut cfg = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| ConfigError(format!("读取 {}：{e}", p.display())))?;
                toml::from_str(&text).map_err(|e| ConfigError(format!("{}：{e}", p.display())))?
            }
            None => ServerConfig::default(),
        };
        cfg.apply_env(|k| std::env::var(k).ok())?;
        Ok(cfg)
    }

    /// Environment overrides: FANGPIN_LISTEN, FANGPIN_HTTPS, FANGPIN_BEHIND_PROXY,
    /// FANGPIN_MAX_BODY_MIB, FANGPIN_UPLOAD_DIR.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(k: &str, v: &str) -> Result<T, ConfigError> {
            v.parse()
                .map_err(|_| ConfigError(format!("环境变量 {k} 的值“{v}”无效")))
        }
        if let Some(v) = var("FANGPIN_LISTEN") {
            self.listen = parse("FANGPIN_LISTEN", &v)?;
        }
        if let Some(v) = var("FANGPIN_HTTPS") {
            self.https = parse("FANGPIN_HTTPS", &v)?;
        }
        if let Some(v) = var("FANGPIN_BEHIND_PROXY") {
            self.behind_proxy = parse("FANGPIN_BEHIND_PROXY", &v)?;
        }
        if let Some(v) = var("FANGPIN_MAX_BODY_MIB") {
            self.max_body_mib = parse("FANGPIN_MAX_BODY_MIB", &v)?;
        }
        if let Some(v) = var("FANGPIN_UPLOAD_DIR") {
            self.upload_dir = PathBuf::from(v);
        }
        Ok(())
    }

    pub fn login_policy(&self) -> LoginPolicy {
        LoginPolicy {
            max_failures: self.max_login_failures.max(1),
            lockout: chrono::Duration::minutes(i64::from(self.lockout_minutes)),
            session_ttl: chrono::Duration::hours(i64::from(self.session_hours.max(1))),
            idle: chrono::Duration::minutes(i64::from(self.idle_minutes.max(1))),
            ..LoginPolicy::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_is_the_default_and_env_wins() {
        let example = include_str!("../../../docs/fangpin.example.toml");
        let cfg: ServerConfig = toml::from_str(example).unwrap();
        assert_eq!(cfg, ServerConfig::default());
        let mut cfg = cfg;
        cfg.apply_env(|k| (k == "FANGPIN_LISTEN").then(|| "0.0.0.0:9000".to_owned()))
            .unwrap();
        assert_eq!(cfg.listen.port(), 9000);
        let e = cfg
            .apply_env(|k| (k == "FANGPIN_HTTPS").then(|| "maybe".to_owned()))
            .unwrap_err();
        assert!(e.to_string().contains("FANGPIN_HTTPS"));
        assert!(
            toml::from_str::<ServerConfig>("port = 1").is_err(),
            "unknown keys"
        );
    }
}
