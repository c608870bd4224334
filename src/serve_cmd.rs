//! `fangpin serve` and the accounts that use it: `fangpin user …` and `fangpin token …`.
//! The operator of the machine runs these; they may create any account (the API lets
//! county administrators create their county's accounts).

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use domain::RegionCode;
use domain::access::Role;
use service::accounts::{Creator, NewAccount};
use std::path::PathBuf;
use std::process::ExitCode;
use store::Store;

#[derive(Args)]
pub(crate) struct ServeArgs {
    /// Server configuration (TOML, see docs/fangpin.example.toml); FANGPIN_* variables
    /// override it.
    #[arg(long, env = "FANGPIN_CONFIG")]
    config: Option<PathBuf>,
}

/// Runs the HTTP service until Ctrl-C or SIGTERM.
pub(crate) async fn serve(store: Store, a: &ServeArgs) -> Result<ExitCode> {
    let config = web::ServerConfig::load(a.config.as_deref())?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("监听 {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "serving");
    outln!("防贫服务已启动：http://{addr}/api/v1（接口文档 http://{addr}/api/openapi.json）");
    web::serve(
        listener,
        web::AppState::new(store, config),
        web::shutdown_signal(),
    )
    .await?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
pub(crate) enum UserCmd {
    /// Create an account bound to a role and a region.
    Add {
        username: String,
        /// 村级 | 乡镇 | 县级经办 | 县级审定 | 县级管理员 | 部门联络员 | 市级查看 | 省级查看 | 系统管理员
        #[arg(long)]
        role: String,
        /// Region code of the account's level (village 12 digits, township 9, county 6 …).
        #[arg(long)]
        region: String,
        /// 部门联络员 only: the department's feed (medical, disability, …).
        #[arg(long)]
        department: Option<String>,
        /// 姓名 shown in the case history.
        #[arg(long, default_value = "")]
        name: String,
        /// Initial password (FANGPIN_PASSWORD); generated and printed when absent.
        #[arg(long, env = "FANGPIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// The password given is the user's own (a service account of a script, a load
        /// test): no change at the first sign-in. Without it, an initial password must be
        /// changed before anything else.
        #[arg(long, requires = "password")]
        own_password: bool,
    },
    /// List the accounts of a region's subtree.
    List {
        #[arg(long)]
        region: Option<String>,
    },
    /// Disable an account: it cannot log in, its sessions end and its tokens are revoked.
    Disable { username: String },
    /// Enable a disabled account again.
    Enable { username: String },
    /// Set a new password (generated when --password is absent) and clear a lock.
    ResetPassword {
        username: String,
        #[arg(long, env = "FANGPIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum TokenCmd {
    /// A bearer token for a department system, acting as a 部门联络员 account. Printed
    /// once: only its hash is kept.
    Create {
        /// The liaison account the system acts as.
        #[arg(long)]
        user: String,
        /// What the token is for, e.g. "县医保局结算系统".
        #[arg(long)]
        name: String,
    },
    /// Revoke a token by its number.
    Revoke { id: i64 },
    /// List tokens (never their secrets).
    List {
        #[arg(long)]
        region: Option<String>,
    },
}

fn region(s: &str) -> Result<RegionCode> {
    Ok(RegionCode::parse(s)?)
}

pub(crate) async fn user(store: &Store, cmd: &UserCmd) -> Result<ExitCode> {
    match cmd {
        UserCmd::Add {
            username,
            role,
            region: r,
            department,
            name,
            password,
            own_password,
        } => {
            let generated = password.is_none();
            let password = password
                .clone()
                .unwrap_or_else(service::accounts::generate_password);
            let role = Role::parse(role)?;
            let department = department
                .as_deref()
                .map(domain::feed::parse_feed)
                .transpose()?;
            service::accounts::add_user(
                store,
                &NewAccount {
                    username: username.clone(),
                    display_name: name.clone(),
                    role,
                    region: region(r)?,
                    department,
                    password: password.clone(),
                    must_change_password: !own_password,
                },
                Creator::System,
            )
            .await?;
            if *own_password {
                outln!("已创建账号 {username}（{role}，{r}）");
            } else {
                outln!("已创建账号 {username}（{role}，{r}），首次登录须修改密码");
            }
            if generated {
                outln!("初始密码：{password}（请当面交给本人）");
            }
            Ok(ExitCode::SUCCESS)
        }
        UserCmd::List { region: r } => {
            let scope = r.as_deref().map(region).transpose()?;
            let users = store.users(scope).await?;
            for u in &users {
                outln!(
                    "{:<20} {:<8} {:<6} {}{}{}",
                    u.username,
                    u.display_name,
                    u.role.label(),
                    u.region,
                    u.department
                        .map_or_else(String::new, |d| format!("  {}", d.label())),
                    if u.disabled { "  已停用" } else { "" }
                );
            }
            outln!("共 {} 个账号", users.len());
            Ok(ExitCode::SUCCESS)
        }
        UserCmd::Disable { username } | UserCmd::Enable { username } => {
            let disable = matches!(cmd, UserCmd::Disable { .. });
            service::accounts::set_disabled(store, username, disable).await?;
            outln!(
                "账号 {username} 已{}",
                if disable { "停用" } else { "启用" }
            );
            Ok(ExitCode::SUCCESS)
        }
        UserCmd::ResetPassword { username, password } => {
            let pw =
                service::accounts::reset_password(store, username, password.as_deref()).await?;
            outln!("账号 {username} 的密码已重置，锁定已解除；下次登录须修改密码");
            if password.is_none() {
                outln!("新密码：{pw}（请当面交给本人）");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub(crate) async fn token(store: &Store, cmd: &TokenCmd) -> Result<ExitCode> {
    match cmd {
        TokenCmd::Create { user, name } => {
            let (id, secret) = service::accounts::create_token(store, user, name).await?;
            outln!("令牌 {id}（{name}，以 {user} 的身份）：");
            outln!("{secret}");
            outln!("只显示这一次；请求时放在 Authorization: Bearer … 中");
            Ok(ExitCode::SUCCESS)
        }
        TokenCmd::Revoke { id } => {
            service::accounts::revoke_token(store, *id).await?;
            outln!("令牌 {id} 已吊销");
            Ok(ExitCode::SUCCESS)
        }
        TokenCmd::List { region: r } => {
            let scope = r.as_deref().map(region).transpose()?;
            for t in store.tokens(scope).await? {
                outln!(
                    "{:>4}  {:<20} {:<16} {}{}",
                    t.id,
                    t.name,
                    t.username,
                    store.zone().local(t.created_at).format("%Y-%m-%d"),
                    if t.revoked_at.is_some() {
                        "  已吊销"
                    } else {
                        ""
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
