//! The command line: parses arguments, loads the configuration and calls the library.
//! It holds no logic of its own.

use std::io::{self, BufRead, Read, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{self, Config};
use crate::contract::evaluate_text;
use crate::db::{self, DbConnection};
use crate::domain::access::{EmailAddress, Role};
use crate::domain::impact::{ImpactReport, RuleSets, SideBySide};
use crate::domain::ledger::Ledger;
use crate::domain::program::ProgramSet;
use crate::domain::reconcile::{OrgRef, Outcome};
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult, ErrorKind};
use crate::evaluate_stream::{evaluate_jsonl, impact_jsonl};
use crate::program;
use crate::program::aliases::parse_alias_table;
use crate::program::award_list::{ListEncoding, decode_award_list, parse_award_list};
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
    /// Import a published award list into the ledger, reconciling each printed name to an
    /// organisation. Uncertain matches go to a review queue and are never merged; importing
    /// the same list again changes nothing.
    ImportAwards {
        /// CSV with the columns award_id,fiscal_year,fiscal_year_label,frame,law_path,
        /// listed_as,role,seed_ref (as forms/awards/awards-r4-r7.csv).
        #[arg(required_unless_present = "shipped")]
        file: Option<PathBuf>,
        /// Import the lists shipped with hojokin (forms/awards/) instead of a file.
        #[arg(long, conflicts_with = "file")]
        shipped: bool,
        /// Alias table (default: forms/aliases.toml as shipped).
        #[arg(long, value_name = "FILE")]
        aliases: Option<PathBuf>,
        /// Show what would be matched, created and queued without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// How FILE is encoded: auto reads valid UTF-8 (with or without a byte-order mark)
        /// as UTF-8 and anything else as Shift_JIS (CP932, as Excel's plain CSV writes it).
        #[arg(long, value_enum, default_value_t = FileEncoding::Auto, conflicts_with = "shipped")]
        encoding: FileEncoding,
    },
    /// Evaluate applications: eligibility, award ordinal, rate, cap and subsidy, with every
    /// finding and its source (DESIGN.md's evaluation contract). Invalid input exits with 2
    /// and prints {"errors": {field: [{code, message}]}}.
    Evaluate {
        /// A JSON request file, or - for standard input.
        #[arg(default_value = "-")]
        input: String,
        /// One request per line in, one decision per line out (streamed, on every core).
        #[arg(long)]
        jsonl: bool,
        /// The decision for every frame of the year side by side, and which gives more.
        #[arg(long)]
        all_frames: bool,
        /// Where past awards come from: the configured database, the award lists shipped
        /// with hojokin (no database needed), or none.
        #[arg(long, value_enum, default_value_t = LedgerSource::Database)]
        ledger: LedgerSource,
        /// Worker threads for --jsonl (default: one per core).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Measure a draft year's rules before they are made: who changes, by how much and why.
    /// Nothing is written
    ///
    /// Every application of the draft's year (in the database, or a JSONL file of evaluation
    /// requests) is evaluated under the rules in force and under the draft, and every other
    /// organisation of the award ledger as if it applied again. The report names who changes
    /// (eligibility, award ordinal, rate, cap, subsidy, standing against the award cap) with
    /// the findings of both decisions, the totals per frame and per award ordinal, the
    /// organisations at or one short of the award cap, and the expected total against the
    /// year's budget.
    Impact(ImpactArgs),
    /// Deadline reminders: show what would be sent and when (--dry-run), or run one tick of the
    /// scheduler and deliver every due email (--once). `serve` does this continuously.
    Remind {
        /// List the reminders from now on (due now, queued, sent, scheduled); writes nothing.
        #[arg(long, conflicts_with = "once", required_unless_present = "once")]
        dry_run: bool,
        /// Bring deadlines up to date, enqueue the due reminders and deliver every due email.
        #[arg(long)]
        once: bool,
        /// With --dry-run: the moment to plan from (RFC 3339, e.g. 2026-11-21T09:00:00+09:00).
        #[arg(long, value_name = "TIME", requires = "dry_run")]
        at: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Render a PDF filing of an application (申請書, 経費明細書, 判定結果, 交付申請書,
    /// 中間報告書, 実績報告書, 交付決定通知書, 額の確定通知書).
    Render {
        /// The application: its number (R8-0001) or its database id.
        #[arg(long)]
        application: String,
        /// application | budget | decision | grant_request | interim_report |
        /// completion_report | grant_decision_notice | amount_confirmation_notice
        #[arg(long)]
        kind: String,
        /// Where to write the PDF (- for standard output).
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
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

/// `--encoding` of `import-awards`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FileEncoding {
    Auto,
    #[value(name = "utf-8")]
    Utf8,
    #[value(name = "shift_jis")]
    ShiftJis,
}

impl From<FileEncoding> for ListEncoding {
    fn from(encoding: FileEncoding) -> Self {
        match encoding {
            FileEncoding::Auto => ListEncoding::Auto,
            FileEncoding::Utf8 => ListEncoding::Utf8,
            FileEncoding::ShiftJis => ListEncoding::ShiftJis,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LedgerSource {
    Database,
    Shipped,
    None,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Proves the hash chain of every audit event, then its head against the signed
    /// checkpoint; names the first event that was altered, inserted or deleted, or how many of
    /// the last events are missing (exit status 1).
    Verify,
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
    /// Read the password from the first line of standard input (otherwise one is generated
    /// and printed once).
    #[arg(long)]
    password_stdin: bool,
}

/// `println!` and `print!` to standard output, returning the error instead of panicking (the
/// reader of a pipe may have gone, as with `hojokin evaluate --jsonl … | head`).
macro_rules! outln {
    ($($argument:tt)*) => {
        writeln!(io::stdout().lock(), $($argument)*).map_err(stdout_error)
    };
}
macro_rules! out {
    ($($argument:tt)*) => {
        write!(io::stdout().lock(), $($argument)*).map_err(stdout_error)
    };
}

fn stdout_error(error: io::Error) -> AppError {
    AppError::internal("標準出力に書き出せません").with_cause(error)
}

/// The reader of our output went away (`| head`): stop quietly, as a program that the signal
/// SIGPIPE ends does (Rust ignores that signal, so the write fails instead).
fn is_broken_pipe(error: &AppError) -> bool {
    error
        .cause
        .as_deref()
        .and_then(|cause| cause.downcast_ref::<io::Error>())
        .is_some_and(|cause| cause.kind() == io::ErrorKind::BrokenPipe)
}

/// Said wherever the audit checkpoint is signed or checked without a configured key.
const DEMO_AUDIT_KEY_WARNING: &str = "警告: audit_key が設定されていないため、監査ログのチェックポイントを公開のデモ用鍵で署名・検証しています。本番では audit_key（HOJOKIN_AUDIT_KEY）を設定してください";

/// The status of a shell's pipeline member that SIGPIPE ended (128 + 13).
const BROKEN_PIPE_STATUS: u8 = 141;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if is_broken_pipe(&error) => ExitCode::from(BROKEN_PIPE_STATUS),
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
        out!("{}", config::markdown_table())?;
        return Ok(());
    }
    let config = Config::load(cli.config.as_deref())?;
    telemetry::init(config.log_format);
    match cli.command {
        Command::Serve { demo } => serve(&config, demo),
        Command::Migrate { revert_all } => migrate(&config, revert_all),
        Command::Remind {
            dry_run,
            once: _,
            at,
            json,
        } => remind(&config, dry_run, at.as_deref(), json),
        Command::Seed { demo: _ } => {
            let pool = db::connect_with(&config)?;
            let mut connection = pool.get()?;
            db::run_migrations(&mut connection)?;
            seed_demo(&mut connection, &load_programs(&config)?, false)
        }
        Command::ImportAwards {
            file,
            shipped: _,
            aliases,
            dry_run,
            encoding,
        } => {
            let programs = load_programs(&config)?;
            let aliases = match aliases {
                Some(path) => read_file(&path)?,
                None => crate::forms::ALIASES.to_owned(),
            };
            let lists = match file {
                Some(path) => {
                    let source = path.display().to_string();
                    let bytes = std::fs::read(&path).map_err(|error| {
                        AppError::new(
                            ErrorKind::BadRequest,
                            format!("{source} を読めません: {error}"),
                        )
                    })?;
                    let text = decode_award_list(&bytes, encoding.into())
                        .map_err(|error| {
                            AppError::new(
                                ErrorKind::BadRequest,
                                format!(
                                    "{source}: {}（何も取り込んでいません）",
                                    error.explain_ja()
                                ),
                            )
                        })?
                        .into_owned();
                    vec![(source, text)]
                }
                None => crate::forms::AWARD_LISTS
                    .iter()
                    .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
                    .collect(),
            };
            let pool = db::connect_with(&config)?;
            let mut connection = pool.get()?;
            db::run_migrations(&mut connection)?;
            for (source, text) in &lists {
                import_award_list(&mut connection, &programs, source, text, &aliases, dry_run)?;
            }
            Ok(())
        }
        Command::Evaluate {
            input,
            jsonl,
            all_frames,
            ledger,
            threads,
        } => {
            let programs = load_programs(&config)?;
            let ledger = load_ledger(&config, &programs, ledger)?;
            let reader: Box<dyn BufRead> = if input == "-" {
                Box::new(io::stdin().lock())
            } else {
                let file = std::fs::File::open(&input).map_err(|error| {
                    AppError::new(
                        ErrorKind::BadRequest,
                        format!("{input} を読めません: {error}"),
                    )
                })?;
                Box::new(io::BufReader::new(file))
            };
            if jsonl {
                let threads = threads
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
                let summary = evaluate_jsonl(
                    reader,
                    io::stdout(),
                    &programs,
                    &ledger,
                    all_frames,
                    threads,
                )
                .map_err(|error| {
                    AppError::internal("判定結果を書き出せません").with_cause(error)
                })?;
                if summary.invalid > 0 {
                    return Err(AppError::new(
                        ErrorKind::Invalid,
                        format!(
                            "{} 行のうち {} 行が無効な入力です",
                            summary.lines, summary.invalid
                        ),
                    ));
                }
                Ok(())
            } else {
                evaluate_one(reader, &programs, &ledger, all_frames)
            }
        }
        Command::Impact(args) => impact(&config, args),
        Command::Audit(AuditCommand::Verify) => {
            let pool = db::connect_with(&config)?;
            let mut connection = pool.get()?;
            db::run_migrations(&mut connection)?;
            if db::audit::signs_with_demo_key() {
                eprintln!("hojokin: {DEMO_AUDIT_KEY_WARNING}");
            }
            match db::audit::verify(&mut connection)? {
                Ok(head) => {
                    outln!(
                        "hojokin: 監査ログ {} 件のハッシュチェーンを確認しました（改ざんなし、先頭 {}、署名付きチェックポイントと一致）",
                        head.count,
                        head.short_hash()
                    )?;
                    Ok(())
                }
                Err(db::audit::ChainProblem::Link(broken)) => Err(AppError::new(
                    ErrorKind::Conflict,
                    format!(
                        "監査ログのイベント {} が壊れています: {}",
                        broken.event_id, broken.reason
                    ),
                )),
                Err(db::audit::ChainProblem::Checkpoint(problem)) => Err(AppError::new(
                    ErrorKind::Conflict,
                    format!("{} [{}]", problem.message_ja(), problem.code()),
                )),
            }
        }
        Command::Render {
            application,
            kind,
            output,
        } => render(&config, &application, &kind, &output),
        Command::User(UserCommand::Add(args)) => add_user(&config, args),
        Command::Config { markdown: _ } => {
            outln!("{config:#?}")?;
            Ok(())
        }
    }
}

fn serve(config: &Config, demo: bool) -> AppResult<()> {
    let programs = load_programs(config)?;
    crate::startup::install_templates(config)?;
    Config::ensure_writable_dir(&config.data_dir, "data_dir")?;
    let pool = db::connect_with(config)?;
    if db::audit::signs_with_demo_key() {
        tracing::warn!("{DEMO_AUDIT_KEY_WARNING}");
    }
    {
        let mut connection = pool.get()?;
        db::run_migrations(&mut connection)?;
        db::programs::record_program_years(&mut connection, &programs)?;
        if demo {
            seed_demo(&mut connection, &programs, true)?;
        }
    }
    let background = crate::jobs::Background::start(
        config,
        pool.clone(),
        std::sync::Arc::new(programs.clone()),
    )?;
    let application = Application::build(config, pool, programs)?;
    let url = format!("http://{}:{}", config.bind.ip(), application.port());
    tracing::info!(%url, database = %config.database_url, "hojokin is listening");
    // The banner is for a person at a terminal; without one (stdout closed) the server still serves.
    let _ = outln!("hojokin: {url} で待ち受けています（Ctrl+C で停止）");
    let served = actix_web::rt::System::new()
        .block_on(application.run_until_stopped())
        .map_err(|error| AppError::internal("HTTP サーバーが異常終了しました").with_cause(error));
    // After the server has stopped: the scheduler and the worker finish what they hold.
    background.shutdown();
    served
}

fn remind(config: &Config, dry_run: bool, at: Option<&str>, json: bool) -> AppResult<()> {
    let programs = load_programs(config)?;
    crate::startup::check_templates(config)?;
    let pool = db::connect_with(config)?;
    {
        let mut connection = pool.get()?;
        db::run_migrations(&mut connection)?;
    }
    if dry_run {
        let now = match at {
            Some(text) => chrono::DateTime::parse_from_rfc3339(text)
                .map_err(|error| {
                    AppError::new(
                        crate::error::ErrorKind::BadRequest,
                        format!("--at \"{text}\" は RFC 3339 の日時ではありません: {error}"),
                    )
                })?
                .with_timezone(&chrono::Utc),
            None => chrono::Utc::now(),
        };
        let planned = crate::jobs::plan(config, &pool, &programs, now)?;
        if json {
            outln!(
                "{}",
                serde_json::to_string_pretty(&planned)
                    .map_err(|e| AppError::internal("JSON").with_cause(e))?
            )?;
            return Ok(());
        }
        outln!(
            "送信予定（日本時間）         状態       申請       期限                         内容                          宛先"
        )?;
        for p in &planned {
            outln!(
                "{}  {:<9}  {:<9}  {:<27}  {:<28}  {}",
                p.send_at_jst.format("%Y-%m-%d %H:%M"),
                p.state,
                p.reference,
                p.due,
                format!(
                    "{}（{}）",
                    p.kind.label_ja(),
                    crate::domain::deadlines::offset_label(p.offset)
                ),
                p.recipient
            )?;
        }
        outln!(
            "hojokin: {} 件（due now: 次の tick で送信、queued: 送信待ち、sent: 送信済み、scheduled: 予定）",
            planned.len()
        )?;
        return Ok(());
    }
    let outcome = crate::jobs::run_once(config, &pool)?;
    if json {
        outln!(
            "{}",
            serde_json::to_string(&outcome).map_err(|e| AppError::internal("JSON").with_cause(e))?
        )?;
    } else {
        outln!(
            "hojokin: reminders due {} (new {}); sent {}, retrying {}, dead {}, skipped {}",
            outcome.tick.due,
            outcome.tick.enqueued,
            outcome.work.sent,
            outcome.work.retrying,
            outcome.work.dead,
            outcome.work.skipped
        )?;
    }
    Ok(())
}

fn render(config: &Config, application: &str, kind: &str, output: &Path) -> AppResult<()> {
    let kind: crate::pdf::FilingKind = kind
        .parse()
        .map_err(|message: String| AppError::new(ErrorKind::BadRequest, message))?;
    let programs = load_programs(config)?;
    let forms = crate::pdf::FilingForms::embedded()
        .map_err(|error| AppError::config(format!("書類定義の誤り: {error}")))?;
    let font = crate::pdf::PdfFont::shared(config.pdf_font_path.as_deref())?;
    let pool = db::connect_with(config)?;
    let mut connection = pool.get()?;
    db::run_migrations(&mut connection)?;
    let id = match db::applications::find_by_reference(&mut connection, application)? {
        Some(id) => id,
        None => application
            .parse::<i64>()
            .map_err(|_| AppError::not_found(format!("申請 {application} はありません")))?,
    };
    let today = crate::clock::today_in_japan();
    let data = crate::actions::filings::load_filing(&mut connection, &programs, id, kind, today)?;
    let rendered = crate::pdf::render_filing(kind, &data, &forms, today, &font)?;
    if output == Path::new("-") {
        use std::io::Write;
        io::stdout()
            .write_all(&rendered.bytes)
            .map_err(|error| AppError::internal("PDF を書き出せません").with_cause(error))?;
    } else {
        std::fs::write(output, &rendered.bytes).map_err(|error| {
            AppError::new(
                ErrorKind::BadRequest,
                format!("{} に書き込めません: {error}", output.display()),
            )
        })?;
    }
    eprintln!(
        "hojokin: {} を書き出しました（{} ページ、{} バイト、データ照合番号 {}）",
        output.display(),
        rendered.pages,
        rendered.bytes.len(),
        rendered.data_hash
    );
    if !rendered.missing_glyphs.is_empty() {
        eprintln!(
            "hojokin: 注意: フォントで表示できない文字を〓で示しました: {}",
            rendered.missing_glyph_codes()
        );
    }
    Ok(())
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
        outln!(
            "hojokin: nothing to do; the schema of {} is current",
            config.database_url
        )?;
    }
    for version in versions {
        outln!("{verb} {version}")?;
    }
    Ok(())
}

/// Seeds the demo data set. With `only_if_empty`, a database that already has users is left
/// as it is (so `serve --demo` can be run again and again).
fn seed_demo(
    connection: &mut DbConnection,
    programs: &ProgramSet,
    only_if_empty: bool,
) -> AppResult<()> {
    if db::users::count_users(connection)? > 0 {
        if only_if_empty {
            outln!("hojokin: データベースに既にデータがあるため、デモデータは投入しません")?;
            return Ok(());
        }
        return Err(AppError::conflict(
            "データベースに既に利用者がいます。デモデータは空のデータベースにだけ投入できます",
        ));
    }
    let summary = crate::demo::seed(
        connection,
        programs,
        crate::web::applications::today_in_japan(),
    )?;
    outln!(
        "hojokin: デモデータを投入しました（採択実績 {} 件、申請 {} 件、利用者 {} 名）",
        summary.award_members,
        summary.applications,
        summary.users.len()
    )?;
    outln!("  デモ利用者（パスワードはこの一度だけ表示します）:")?;
    for (email, role, password) in summary.users {
        outln!("  {:<10} {email:<36} {password}", role.label_ja())?;
    }
    Ok(())
}

fn load_ledger(config: &Config, programs: &ProgramSet, source: LedgerSource) -> AppResult<Ledger> {
    match source {
        LedgerSource::None => Ok(Ledger::new()),
        LedgerSource::Shipped => program::shipped_ledger(programs)
            .map_err(|error| AppError::internal(format!("同梱の採択一覧を読めません: {error}"))),
        LedgerSource::Database => {
            let pool = db::connect_with(config)?;
            let mut connection = pool.get()?;
            db::run_migrations(&mut connection)?;
            let ledger = db::awards::load_ledger(&mut connection)?;
            if ledger.organisation_count() == 0 {
                eprintln!(
                    "hojokin: 注意: データベースの採択台帳が空です。過去の採択を数えるには \
                     `hojokin import-awards --shipped` を実行するか --ledger shipped を指定してください"
                );
            }
            Ok(ledger)
        }
    }
}

#[derive(Args)]
struct ImpactArgs {
    /// The draft: a programme file in the shape of forms/programs/*.toml.
    #[arg(long, value_name = "DRAFT.toml")]
    rules: PathBuf,
    /// The fiscal year whose rules in force the draft is compared with (default: the
    /// draft's own fiscal_year; the two must agree).
    #[arg(long, value_name = "YEAR")]
    base: Option<i32>,
    /// `database` (the configured database's applications) or a JSONL file of requests.
    #[arg(long, value_name = "database|FILE.jsonl", default_value = "database")]
    applications: String,
    /// With a JSONL file: where past awards come from.
    #[arg(long, value_enum, default_value_t = LedgerSource::Database)]
    ledger: LedgerSource,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Also write the report as an Excel workbook (.xlsx) to FILE.
    #[arg(long, value_name = "FILE")]
    xlsx: Option<PathBuf>,
    /// Worker threads for a JSONL file (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
}

/// `hojokin impact`: the draft against the rules in force, over the database or a JSONL file.
fn impact(config: &Config, args: ImpactArgs) -> AppResult<()> {
    let programs = load_programs(config)?;
    let file_name = args.rules.display().to_string();
    let draft = program::parse_draft(&programs, &file_name, &read_file(&args.rules)?, args.base)
        .map_err(|error| AppError::new(ErrorKind::Invalid, format!("規則案の誤り: {error}")))?;
    let base = programs
        .get(draft.fiscal_year)
        .ok_or_else(|| AppError::internal("現行の規則が見つかりません"))?;
    let rules = RuleSets::new(base, &draft)
        .ok_or_else(|| AppError::internal("規則案と現行の規則の年度が異なります"))?;
    let (report, other_years, unreadable) = if args.applications == "database" {
        let pool = db::connect_with(config)?;
        let mut connection = pool.get()?;
        db::run_migrations(&mut connection)?;
        let stored = crate::actions::impact::impact_of_stored(
            &mut connection,
            rules,
            crate::clock::today_in_japan(),
        )?;
        let unreadable: Vec<(String, FieldErrors)> = stored.unreadable;
        (stored.report, 0, unreadable)
    } else {
        let ledger = load_ledger(config, &programs, args.ledger)?;
        let file = std::fs::File::open(&args.applications).map_err(|error| {
            AppError::new(
                ErrorKind::BadRequest,
                format!("{} を読めません: {error}", args.applications),
            )
        })?;
        let threads = args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
        let found = impact_jsonl(io::BufReader::new(file), rules, &ledger, threads)
            .map_err(|error| AppError::internal("申請を読み込めません").with_cause(error))?;
        let unreadable = found
            .invalid
            .into_iter()
            .map(|(line, errors)| (format!("{line}行目"), errors))
            .collect();
        (found.report, found.other_years, unreadable)
    };
    let budget = draft.budget_yen.as_ref().map(|budget| budget.value);
    if let Some(path) = &args.xlsx {
        let facts = crate::impact_workbook::WorkbookFacts {
            fiscal_year: draft.fiscal_year,
            rules_file: &file_name,
            budget,
        };
        let bytes = crate::impact_workbook::impact_workbook(&report, &facts).map_err(|error| {
            AppError::internal("Excel ファイルを作成できません").with_cause(error)
        })?;
        std::fs::write(path, bytes).map_err(|error| {
            AppError::new(
                ErrorKind::BadRequest,
                format!("{} に書き込めません: {error}", path.display()),
            )
        })?;
        eprintln!("hojokin: 影響の試算を {} に書き出しました", path.display());
    }
    if args.json {
        let answer = ImpactAnswer {
            fiscal_year: draft.fiscal_year.0,
            rules: &file_name,
            budget_yen: budget,
            left_of_budget: budget.map(|budget| report.against_budget(budget)),
            other_years,
            unreadable: unreadable
                .iter()
                .map(|(label, errors)| UnreadableApplication {
                    label,
                    errors: &errors.errors,
                })
                .collect(),
            report: &report,
        };
        let text = serde_json::to_string_pretty(&answer)
            .map_err(|error| AppError::internal("JSON を書き出せません").with_cause(error))?;
        outln!("{text}")?;
    } else {
        out!(
            "{}",
            impact_text(&report, draft.fiscal_year, &file_name, budget, other_years)
        )?;
        for (label, errors) in &unreadable {
            let messages: Vec<&str> = errors
                .errors
                .values()
                .flatten()
                .map(|error| error.message.as_str())
                .collect();
            outln!("判定できない申請: {label}（{}）", messages.join("、"))?;
        }
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct ImpactAnswer<'a> {
    fiscal_year: i32,
    rules: &'a str,
    budget_yen: Option<crate::domain::money::Yen>,
    left_of_budget: Option<SideBySide<crate::domain::money::Yen>>,
    other_years: u64,
    unreadable: Vec<UnreadableApplication<'a>>,
    report: &'a ImpactReport,
}

#[derive(serde::Serialize)]
struct UnreadableApplication<'a> {
    label: &'a str,
    errors: &'a std::collections::BTreeMap<String, Vec<crate::domain::validation::FieldError>>,
}

/// The award cap's counts under both rule sets, worded as the impact page words them.
fn award_cap_counts(what: &str, counts: &SideBySide<crate::domain::impact::CapCounts>) -> String {
    format!(
        "採択回数の上限に達していて申請できない{what}: 現行 {} 件 / 案 {} 件、今回の採択で上限に達する{what}: 現行 {} 件 / 案 {} 件",
        counts.base.at_cap, counts.draft.at_cap, counts.base.one_short, counts.draft.one_short
    )
}

/// The report as people read it in a terminal.
fn impact_text(
    report: &ImpactReport,
    fiscal_year: crate::domain::calendar::FiscalYear,
    file_name: &str,
    budget: Option<crate::domain::money::Yen>,
    other_years: u64,
) -> String {
    use std::fmt::Write as _;
    let rate = |rate: Option<crate::domain::money::Rate>| {
        rate.map_or_else(|| "—".to_owned(), |rate| rate.to_string())
    };
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{fiscal_year}の規則案（{file_name}）と現行の規則: 申請 {} 件を比較しました{}",
        report.evaluated,
        if other_years > 0 {
            format!("（他の年度の {other_years} 件は対象外）")
        } else {
            String::new()
        }
    );
    let _ = writeln!(text, "\n判定が変わる申請: {} 件", report.changed.len());
    for changed in &report.changed {
        let (base, draft) = (&changed.base, &changed.draft);
        let mut figures = Vec::new();
        if changed.changes.eligibility {
            let label = |eligible| {
                if eligible {
                    "申請可"
                } else {
                    "申請不可"
                }
            };
            figures.push(format!(
                "{} → {}",
                label(base.eligible),
                label(draft.eligible)
            ));
        }
        if changed.changes.award_ordinal {
            figures.push(format!(
                "採択回数 {}回目 → {}回目",
                base.award_ordinal, draft.award_ordinal
            ));
        }
        if changed.changes.rate {
            figures.push(format!("補助率 {} → {}", rate(base.rate), rate(draft.rate)));
        }
        if changed.changes.cap {
            figures.push(format!("補助上限額 {} → {}", base.cap_yen, draft.cap_yen));
        }
        if changed.changes.subsidy {
            figures.push(format!(
                "補助金額 {} → {}（{}）",
                base.subsidy_yen, draft.subsidy_yen, changed.subsidy_difference
            ));
        }
        let _ = writeln!(
            text,
            "  {} {}: {}",
            changed.label,
            changed.organisation,
            figures.join("、")
        );
        let new_findings: Vec<&str> = changed
            .draft_findings
            .iter()
            .filter(|finding| !changed.base_findings.contains(finding))
            .map(|finding| finding.message.as_str())
            .collect();
        for message in new_findings {
            let _ = writeln!(text, "      案で加わる指摘: {message}");
        }
    }
    let subtotal = |subtotal: crate::domain::impact::Subtotal| {
        format!("{} 件 {}", subtotal.eligible, subtotal.subsidy_yen)
    };
    let _ = writeln!(text, "\n枠ごと（申請できる件数と補助金額の合計）:");
    for (frame, totals) in &report.by_frame {
        let _ = writeln!(
            text,
            "  {}: 現行 {} / 案 {}",
            frame.label_ja(),
            subtotal(totals.base),
            subtotal(totals.draft)
        );
    }
    let _ = writeln!(text, "採択回数ごと:");
    for (ordinal, totals) in &report.by_award_ordinal {
        let _ = writeln!(
            text,
            "  {ordinal}回目: 現行 {} / 案 {}",
            subtotal(totals.base),
            subtotal(totals.draft)
        );
    }
    let _ = writeln!(text, "{}", award_cap_counts("申請", &report.award_cap));
    let _ = writeln!(
        text,
        "合計: 現行 {} / 案 {}",
        subtotal(report.total.base),
        subtotal(report.total.draft)
    );
    if let Some(ledger) = &report.ledger {
        let _ = writeln!(
            text,
            "\n採択台帳の団体（今回申請していない {} 団体が再び申請した場合。予算の記録がないため補助金額は計算しません）: 変わる団体 {} 件",
            ledger.evaluated,
            ledger.changed.len()
        );
        for changed in &ledger.changed {
            let _ = writeln!(
                text,
                "  {}: {}回目・補助率 {}・{} → {}回目・補助率 {}・{}",
                changed.organisation,
                changed.base.award_ordinal,
                rate(changed.base.rate),
                changed.base.cap_standing().label_ja(),
                changed.draft.award_ordinal,
                rate(changed.draft.rate),
                changed.draft.cap_standing().label_ja()
            );
        }
        let _ = writeln!(text, "  {}", award_cap_counts("団体", &ledger.award_cap));
    }
    if let Some(budget) = budget {
        let left = report.against_budget(budget);
        let _ = writeln!(
            text,
            "予算額 {budget} に対し、すべて採択した場合の残額: 現行 {} / 案 {}",
            left.base, left.draft
        );
    }
    text
}

/// Evaluates one request: the decision on stdout, or the field errors on stdout and exit 2.
fn evaluate_one(
    mut reader: Box<dyn BufRead>,
    programs: &ProgramSet,
    ledger: &Ledger,
    all_frames: bool,
) -> AppResult<()> {
    let mut text = String::new();
    reader.read_to_string(&mut text).map_err(|error| {
        AppError::new(ErrorKind::BadRequest, format!("入力を読めません: {error}"))
    })?;
    let mut out = Vec::new();
    match evaluate_text(&text, programs, ledger, all_frames, &mut out) {
        Ok(()) => {
            let value: serde_json::Value = serde_json::from_slice(&out).map_err(|error| {
                AppError::internal("判定結果を整形できません").with_cause(error)
            })?;
            outln!("{value:#}")?;
            Ok(())
        }
        Err(errors) => {
            outln!(
                "{}",
                serde_json::to_string_pretty(&errors).unwrap_or_default()
            )?;
            Err(AppError::invalid(errors))
        }
    }
}

/// The programme definitions: the configured directory, or those compiled into the binary.
fn load_programs(config: &Config) -> AppResult<ProgramSet> {
    let loaded = match &config.forms_dir {
        Some(dir) => program::from_dir(&dir.join("programs")),
        None => program::embedded(),
    };
    loaded.map_err(|error| AppError::config(format!("プログラム定義の誤り: {error}")))
}

fn read_file(path: &Path) -> AppResult<String> {
    std::fs::read_to_string(path).map_err(|error| {
        AppError::new(
            ErrorKind::BadRequest,
            format!("{} を読めません: {error}", path.display()),
        )
    })
}

/// Imports one award list and prints what was matched, created and queued.
fn import_award_list(
    connection: &mut DbConnection,
    programs: &ProgramSet,
    source: &str,
    text: &str,
    aliases: &str,
    dry_run: bool,
) -> AppResult<()> {
    let invalid = |message: String| AppError::new(ErrorKind::BadRequest, message);
    let aliases =
        parse_alias_table(aliases).map_err(|error| invalid(format!("別名表: {error}")))?;
    let rows = parse_award_list(text, &|year, label| programs.frame_code(year, label))
        .map_err(|error| invalid(format!("{source}: {error}")))?;
    let (plan, names) = db::awards::plan_import(connection, &rows, &aliases)?;
    if !dry_run {
        let bar = ProgressBar::new(db::awards::plan_steps(&plan)).with_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(format!("{source} を取り込み中"));
        let summary = db::awards::apply_plan(connection, &plan, source, &|n| bar.inc(n))?;
        bar.finish_and_clear();
        tracing::info!(?summary, source, "imported award list");
    }
    let name_of = |reference: &OrgRef| match reference {
        OrgRef::Existing(id) => names
            .get(&id.0)
            .cloned()
            .unwrap_or_else(|| format!("#{}", id.0)),
        OrgRef::New(index) => plan
            .organisations_to_create
            .get(*index)
            .map(|organisation| organisation.canonical_name.clone())
            .unwrap_or_default(),
    };
    for decision in &plan.decisions {
        let line = match &decision.outcome {
            Outcome::Matched { organisation, how } => {
                format!(
                    "一致   {} → {} ({how:?})",
                    decision.listed_as,
                    name_of(organisation)
                )
            }
            Outcome::Create { .. } => format!("新規   {}", decision.listed_as),
            Outcome::Review(item) => format!(
                "要確認 {} (候補: {})",
                decision.listed_as,
                item.candidates
                    .iter()
                    .map(|candidate| name_of(&candidate.organisation))
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        };
        outln!("{:<24} {line}", decision.award_id)?;
    }
    let report = &plan.report;
    outln!(
        "{}{source}: {} 行 — 一致 {}、新規 {}、要確認 {}（新しい団体 {}、新しい採択 {}）",
        if dry_run { "[dry-run] " } else { "" },
        plan.decisions.len(),
        report.matched,
        report.created,
        report.queued,
        report.new_organisations,
        report.new_award_members,
    )?;
    Ok(())
}

fn add_user(config: &Config, args: UserAddArgs) -> AppResult<()> {
    let bad = |message: String| AppError::new(ErrorKind::BadRequest, message);
    let email = EmailAddress::parse(&args.email).map_err(|m| bad(format!("--email: {m}")))?;
    let role: Role = args.role.parse().map_err(|m| bad(format!("--role: {m}")))?;
    let (password, generated) = if args.password_stdin {
        let mut line = String::new();
        io::stdin()
            .read_line(&mut line)
            .map_err(|error| bad(format!("--password-stdin: 標準入力を読めません: {error}")))?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (crate::passwords::generate_password(), true)
    };
    let display_name = args.name.clone().unwrap_or_else(|| {
        email
            .as_str()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_owned()
    });
    let account = crate::actions::users::NewAccount {
        email: email.clone(),
        role,
        display_name,
        password_hash: crate::passwords::hash_password(&password)?,
        organisations: &args.organisations,
        municipality: args.municipality.as_deref(),
    };
    let pool = db::connect_with(config)?;
    let mut connection = pool.get()?;
    db::run_migrations(&mut connection)?;
    let id = crate::actions::users::add_user(&mut connection, &account).map_err(|error| {
        // Field errors name the option to correct.
        match &error.field_errors {
            Some(errors) if error.kind == ErrorKind::Invalid => bad(errors
                .errors
                .iter()
                .flat_map(|(field, errors)| {
                    let option = match field.as_str() {
                        "organisations" => "--organisation",
                        "municipality" => "--municipality",
                        other => other,
                    };
                    errors
                        .iter()
                        .map(move |e| format!("{option}: {}", e.message))
                })
                .collect::<Vec<_>>()
                .join("\n")),
            _ => error,
        }
    })?;
    outln!(
        "hojokin: 利用者 {email} ({}) を登録しました (id {id})",
        role.label_ja()
    )?;
    if generated {
        outln!("  パスワード: {password}（この一度だけ表示します）")?;
    }
    Ok(())
}
