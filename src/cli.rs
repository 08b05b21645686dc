//! The command line: parses arguments, loads the configuration and calls the library.
//! It holds no logic of its own.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{self, Config};
use crate::db::{self, DbConnection};
use crate::domain::access::{EmailAddress, Role};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::startup::Application;
use crate::telemetry;

#[derive(Parser)]
#[command(
    name = "hojokin",
    version,
    about = "補助金 — compliance engine for METI's 地域の人事部支援事業",
    long_about = "hojokin tracks each application to 地域の人事部支援事業 from draft to continuation \
survey: eligibility, award counts across years, tapering rates and caps, budgets, reviews, \
deadlines, filings and reminders.\n\nConfiguration comes from --config FILE (or hojokin.toml in \
the working directory, when present) and HOJOKIN_* environment variables; `hojokin config` \
lists every key."
)]
pub struct Cli {
    /// Configuration file (TOML); also HOJOKIN_CONFIG.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web service (pages, JSON API, health checks); applies migrations first.
    Serve {
        /// Seed the demo data first when the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations (or revert them all with --revert-all).
    Migrate {
        /// Revert every migration, leaving an empty database. Destroys all data.
        #[arg(long)]
        revert_all: bool,
    },
    /// Load data into the database.
    Seed {
        /// The demo data set: organisations from the award lists, municipalities, a finance
        /// officer, a program manager and applications in several states.
        #[arg(long, required = true)]
        demo: bool,
    },
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Show the effective configuration (secrets masked), or the table of keys.
    Config {
        /// Print the table of configuration keys in Markdown (as in the README).
        #[arg(long)]
        markdown: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user with a role: applicants belong to organisations, finance officers to a
    /// municipality, program managers to the programme.
    Add(UserAddArgs),
}

#[derive(Args)]
struct UserAddArgs {
    /// Email address (the login).
    #[arg(long)]
    email: String,
    /// applicant | finance_officer | program_manager
    #[arg(long)]
    role: String,
    /// Name shown in the pages (default: the part of the email before @).
    #[arg(long)]
    name: Option<String>,
    /// Organisation of an applicant: 法人番号 or name (repeat for several).
    #[arg(long = "organisation", value_name = "ORGANISATION")]
    organisations: Vec<String>,
    /// Municipality of a finance officer: 全国地方公共団体コード or name.
    #[arg(long)]
    municipality: Option<String>,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hojokin: {error}");
            tracing::debug!(error = ?error, "command failed");
            exit_code(&error)
        }
    }
}

/// 2 for input the user can correct, 1 for everything else.
fn exit_code(error: &AppError) -> ExitCode {
    match error.kind {
        ErrorKind::Invalid | ErrorKind::BadRequest => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    }
}

fn run(cli: Cli) -> AppResult<()> {
    if let Command::Config { markdown: true } = cli.command {
        print!("{}", config::markdown_table());
        return Ok(());
    }
    let config = Config::load(cli.config.as_deref())?;
    telemetry::init(config.log_format);
    match cli.command {
        Command::Serve { demo } => serve(&config, demo),
        Command::Migrate { revert_all } => migrate(&config, revert_all),
        Command::Seed { demo: _ } => {
            let pool = db::connect_with(&config)?;
            let mut connection = pool.get()?;
            db::run_migrations(&mut connection)?;
            seed_demo(&mut connection, false)
        }
        Command::User(UserCommand::Add(args)) => add_user(&config, args),
        Command::Config { markdown: _ } => {
            println!("{config:#?}");
            Ok(())
        }
    }
}

fn serve(config: &Config, demo: bool) -> AppResult<()> {
    Config::ensure_writable_dir(&config.data_dir, "data_dir")?;
    let pool = db::connect_with(config)?;
    {
        let mut connection = pool.get()?;
        db::run_migrations(&mut connection)?;
        if demo {
            seed_demo(&mut connection, true)?;
        }
    }
    let application = Application::build(config, pool)?;
    let url = format!("http://{}:{}", config.bind.ip(), application.port());
    tracing::info!(%url, database = %config.database_url, "hojokin is listening");
    println!("hojokin: {url} で待ち受けています（Ctrl+C で停止）");
    actix_web::rt::System::new()
        .block_on(application.run_until_stopped())
        .map_err(|error| AppError::internal("HTTP サーバーが異常終了しました").with_cause(error))
}

fn migrate(config: &Config, revert_all: bool) -> AppResult<()> {
    let pool = db::connect_with(config)?;
    let mut connection = pool.get()?;
    let (verb, versions) = if revert_all {
        ("reverted", db::revert_all_migrations(&mut connection)?)
    } else {
        ("applied", db::run_migrations(&mut connection)?)
    };
    if versions.is_empty() {
        println!(
            "hojokin: nothing to do; the schema of {} is current",
            config.database_url
        );
    }
    for version in versions {
        println!("{verb} {version}");
    }
    Ok(())
}

/// Seeds the demo data set. With `only_if_empty`, a database that already has users is left
/// as it is (so `serve --demo` can be run again and again).
fn seed_demo(connection: &mut DbConnection, only_if_empty: bool) -> AppResult<()> {
    if db::users::count_users(connection)? > 0 {
        if only_if_empty {
            println!("hojokin: データベースに既にデータがあるため、デモデータは投入しません");
            return Ok(());
        }
        return Err(AppError::conflict(
            "データベースに既に利用者がいます。デモデータは空のデータベースにだけ投入できます",
        ));
    }
    let summary = db::demo::seed_demo(connection)?;
    println!(
        "hojokin: デモデータを投入しました（申請 {} 件、利用者 {} 名）",
        summary.applications,
        summary.users.len()
    );
    for (email, role) in summary.users {
        println!("  {:<16} {email}", role.label_ja());
    }
    Ok(())
}

fn add_user(config: &Config, args: UserAddArgs) -> AppResult<()> {
    let bad = |message: String| AppError::new(ErrorKind::BadRequest, message);
    let email = EmailAddress::parse(&args.email).map_err(|m| bad(format!("--email: {m}")))?;
    let role: Role = args.role.parse().map_err(|m| bad(format!("--role: {m}")))?;
    match role {
        Role::Applicant if args.municipality.is_some() => {
            return Err(bad(
                "--municipality は自治体財政担当 (finance_officer) にだけ指定できます".into(),
            ));
        }
        Role::FinanceOfficer | Role::ProgramManager if !args.organisations.is_empty() => {
            return Err(bad(
                "--organisation は申請者 (applicant) にだけ指定できます".into(),
            ));
        }
        Role::ProgramManager if args.municipality.is_some() => {
            return Err(bad(
                "--municipality は自治体財政担当 (finance_officer) にだけ指定できます".into(),
            ));
        }
        _ => {}
    }
    let pool = db::connect_with(config)?;
    let mut connection = pool.get()?;
    db::run_migrations(&mut connection)?;
    let mut organisation_ids = Vec::new();
    for name in &args.organisations {
        let organisation = db::organisations::find_organisation(&mut connection, name)?
            .ok_or_else(|| bad(format!("--organisation: 団体 \"{name}\" が見つかりません")))?;
        organisation_ids.push(organisation.id);
    }
    let municipality_id = match &args.municipality {
        Some(name) => Some(
            db::organisations::find_municipality(&mut connection, name)?
                .ok_or_else(|| {
                    bad(format!(
                        "--municipality: 自治体 \"{name}\" が見つかりません"
                    ))
                })?
                .id,
        ),
        None => None,
    };
    let display_name = args.name.unwrap_or_else(|| {
        email
            .as_str()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_owned()
    });
    let id = db::users::add_user(
        &mut connection,
        &db::users::NewUser {
            email: email.clone(),
            display_name,
            role,
            password_hash: None,
            municipality_id,
            organisation_ids,
        },
    )?;
    println!(
        "hojokin: 利用者 {email} ({}) を登録しました (id {id})",
        role.label_ja()
    );
    Ok(())
}
