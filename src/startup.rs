//! Builds the running service from a configuration (DESIGN.md habit 2): `main` and the tests
//! both go through [`Application::build`]; tests bind port 0.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer};

use crate::config::Config;
use crate::domain::program::ProgramSet;
use crate::error::{AppError, AppResult};
use crate::web::{self, AppState};
use crate::{db, mail};

/// `templates_dir`, checked: every file in it must replace a page or email template
/// ([`web::pages::template_files`], [`mail::templates::template_files`]) and compile; the
/// error names the file. Nothing is installed.
pub fn check_templates(config: &Config) -> AppResult<()> {
    let Some(dir) = &config.templates_dir else {
        return Ok(());
    };
    let mut known = web::pages::template_files();
    known.extend(mail::templates::template_files());
    dir.check_names(&known)?;
    web::pages::build_registry(Some(dir))?;
    mail::templates::Templates::load(Some(dir))?;
    Ok(())
}

/// [`check_templates`], then the pages use `templates_dir`'s replacements for the life of the
/// process (the emails' are loaded by the worker, `jobs::Background::start`). Called once by
/// `hojokin serve`, before anything is served.
pub fn install_templates(config: &Config) -> AppResult<()> {
    check_templates(config)?;
    match &config.templates_dir {
        Some(dir) => web::pages::install_templates(dir),
        None => Ok(()),
    }
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Connects, migrates and binds; nothing is served until [`run_until_stopped`].
    ///
    /// [`run_until_stopped`]: Application::run_until_stopped
    pub fn build(config: &Config, pool: db::Pool, programs: ProgramSet) -> AppResult<Application> {
        let backend = config.database_url.backend_name();
        {
            let mut connection = pool.get()?;
            let applied = db::run_migrations(&mut connection)?;
            if !applied.is_empty() {
                tracing::info!(?applied, "applied migrations");
            }
        }
        let session_key = config.session_key_or_generate()?;
        let secure_cookies = web::auth::secure_cookies(&config.base_url);
        let session_key = web::auth::session_key(session_key.expose())?;
        let listener = TcpListener::bind(config.bind).map_err(|error| {
            AppError::config(format!(
                "設定エラー [bind]: {} で待ち受けできません: {error}",
                config.bind
            ))
        })?;
        let port = listener
            .local_addr()
            .map_err(|error| {
                AppError::internal("待ち受けポートを取得できません").with_cause(error)
            })?
            .port();
        let state = AppState {
            pool,
            backend,
            programs: Arc::new(programs),
            pdf_font_path: config.pdf_font_path.clone(),
            security: web::auth::Security::from_config(config)?,
            clock: crate::clock::Clock::System,
        };
        let server = HttpServer::new(move || {
            App::new()
                .wrap(web::auth::session_middleware(
                    session_key.clone(),
                    secure_cookies,
                    &state,
                ))
                .wrap(Compress::default())
                .wrap(from_fn(web::request_id::middleware))
                // Outermost: the headers reach every answer, the other middleware's too.
                .wrap(web::security_headers())
                .configure(web::configure(state.clone()))
        })
        // On SIGINT/SIGTERM: stop accepting, let requests in flight finish, then stop.
        .shutdown_timeout(10)
        .listen(listener)
        .map_err(|error| AppError::internal("HTTP サーバーを起動できません").with_cause(error))?
        .run();
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
