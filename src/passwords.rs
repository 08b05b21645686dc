//! Password hashing with argon2 (PHC strings, a fresh salt each time), the pool of threads
//! the web server hashes on ([`HashingPool`]), and the random tokens of sessions, CSRF and
//! password resets.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, mpsc};
use std::time::Duration;

use argon2::{Argon2, PasswordHasher};

use crate::error::{AppError, AppResult, ErrorKind};

/// The shortest password accepted.
pub const MIN_LENGTH: usize = 10;

pub fn hash_password(password: &str) -> AppResult<String> {
    if password.chars().count() < MIN_LENGTH {
        return Err(AppError::new(
            crate::error::ErrorKind::BadRequest,
            format!("パスワードは {MIN_LENGTH} 文字以上にしてください"),
        ));
    }
    let hash: argon2::PasswordHash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|error| AppError::internal(format!("パスワードを保存できません: {error}")))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the stored hash. A malformed stored hash never matches.
///
/// The same check as argon2's `verify_password` (the output compared in constant time), in a
/// memory area that each thread keeps from one check to the next instead of allocating 19 MiB
/// every time: with the allocator's own blocks, the freed areas were split up by other
/// allocations and never came back (RSS grew by about 19 MiB a thread and stayed).
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    thread_local! {
        static MEMORY: std::cell::RefCell<Vec<argon2::Block>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    let Ok(hash) = argon2::PasswordHash::new(stored_hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let Ok(params) = argon2::Params::try_from(&hash) else {
        return false;
    };
    let Ok(algorithm) = argon2::Algorithm::try_from(hash.algorithm.as_str()) else {
        return false;
    };
    let version = match hash.version.map(argon2::Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let blocks = params.block_count();
    let argon = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    MEMORY.with(|memory| {
        let Ok(mut memory) = memory.try_borrow_mut() else {
            return false;
        };
        if memory.len() < blocks {
            memory.resize(blocks, argon2::Block::default());
        }
        let Some(area) = memory.get_mut(..blocks) else {
            return false;
        };
        argon
            .hash_password_into_with_memory(password.as_bytes(), salt.as_ref(), &mut out, area)
            .is_ok()
            && argon2::password_hash::phc::Output::new(&out)
                .is_ok_and(|computed| computed == *expected)
    })
}

/// A hash of a password nobody knows, made with the same parameters as every stored one: a
/// login for an unknown email (or a user without a password) is checked against it, so that
/// it takes as long as a login for a known one.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(random_token().as_bytes())
        .map(|hash| hash.to_string())
        .unwrap_or_default()
});

/// Whether `password` matches `stored_hash`; with no stored hash, the same work against
/// [`DUMMY_HASH`], and `false`.
pub fn verify_password_or_dummy(password: &str, stored_hash: Option<&str>) -> bool {
    match stored_hash {
        Some(hash) => verify_password(password, hash),
        None => {
            let _ = verify_password(password, &DUMMY_HASH);
            false
        }
    }
}

type Work = Box<dyn FnOnce() + Send>;

/// Where the web server checks and hashes passwords: `threads` threads of its own, so that at
/// most that many argon2 computations (19 MiB each) run at once, whatever the number of
/// logins, and the memory they use stays with those threads instead of spreading over the
/// blocking pool (glibc keeps a freed 19 MiB block in the arena of the thread that used it).
/// A caller waits at most `wait` for a free thread, then gets 503. Clones share the threads;
/// they stop when the last clone is dropped.
#[derive(Clone)]
pub struct HashingPool {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    permits: Arc<tokio::sync::Semaphore>,
    wait: Duration,
    work: mpsc::Sender<Work>,
    finished: AtomicU64,
}

impl HashingPool {
    pub fn new(threads: usize, wait: Duration) -> AppResult<HashingPool> {
        let threads = threads.max(1);
        let (sender, receiver) = mpsc::channel::<Work>();
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..threads {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("hojokin-hash-{index}"))
                .spawn(move || {
                    loop {
                        let next = match receiver.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(poisoned) => poisoned.into_inner().recv(),
                        };
                        let Ok(work) = next else { break };
                        // A panic in one computation must not take the thread with it; the
                        // caller sees its answer dropped.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
                    }
                })
                .map_err(|error| {
                    AppError::internal("パスワード処理のスレッドを起動できません").with_cause(error)
                })?;
        }
        Ok(HashingPool {
            inner: Arc::new(PoolInner {
                permits: Arc::new(tokio::sync::Semaphore::new(threads)),
                wait,
                work: sender,
                finished: AtomicU64::new(0),
            }),
        })
    }

    /// Runs `work` on one of the pool's threads once one is free; 503 after waiting `wait`.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> AppResult<T> {
        self.slot().await?.run(work).await
    }

    /// Waits (at most `wait`, then 503) for one of the pool's threads and keeps it for the
    /// caller until the slot is dropped: a login holds it from the check of its limit to the
    /// record of its failure, so that at most as many logins as there are threads are between
    /// the two at once.
    pub async fn slot(&self) -> AppResult<HashingSlot> {
        let permits = self.inner.permits.clone();
        match tokio::time::timeout(self.inner.wait, permits.acquire_owned()).await {
            Ok(Ok(permit)) => Ok(HashingSlot {
                inner: self.inner.clone(),
                _permit: permit,
            }),
            Ok(Err(closed)) => {
                Err(AppError::internal("パスワードを確認できません").with_cause(closed))
            }
            Err(_) => Err(AppError::new(
                ErrorKind::Unavailable,
                "ただいま混み合っています。しばらくしてからもう一度お試しください。",
            )
            .with_retry_after(1)),
        }
    }

    /// How many computations have finished (each login checks exactly one password).
    pub fn finished(&self) -> u64 {
        self.inner.finished.load(Ordering::Relaxed)
    }
}

/// One of a [`HashingPool`]'s threads, held: there are as many slots as threads, so the work
/// of a slot never waits for a thread.
pub struct HashingSlot {
    inner: Arc<PoolInner>,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl HashingSlot {
    /// Runs `work` on the slot's thread and answers its result.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> AppResult<T> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let inner = self.inner.clone();
        let job: Work = Box::new(move || {
            let value = work();
            inner.finished.fetch_add(1, Ordering::Relaxed);
            let _ = reply.send(value);
        });
        self.inner
            .work
            .send(job)
            .map_err(|_| AppError::internal("パスワード処理のスレッドが停止しています"))?;
        answer
            .await
            .map_err(|error| AppError::internal("パスワードを確認できません").with_cause(error))
    }
}

/// 32 random bytes in hex: CSRF, session and password-reset tokens.
pub fn random_token() -> String {
    rand::random::<[u8; 32]>()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A token as stored: only its SHA-256 in hex, so that a copy of the database opens no
/// session and resets no password.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A random password for generated accounts (the demo users): 16 characters that read clearly.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    (0..16)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert_ne!(
            hash,
            hash_password("correct horse battery").expect("hash"),
            "salted"
        );
    }

    #[test]
    fn an_unknown_user_is_checked_against_a_hash_like_any_other() {
        let real = hash_password("correct horse battery").expect("hash");
        let params = |hash: &str| {
            argon2::PasswordHash::new(hash)
                .map(|parsed| parsed.params.to_string())
                .expect("PHC string")
        };
        assert_eq!(params(&DUMMY_HASH), params(&real), "the same cost");
        assert!(!verify_password_or_dummy("correct horse battery", None));
        assert!(verify_password_or_dummy(
            "correct horse battery",
            Some(&real)
        ));
    }

    #[actix_web::test]
    async fn the_pool_runs_at_most_its_threads_and_refuses_after_waiting() {
        let pool = HashingPool::new(1, Duration::from_millis(20)).expect("pool");
        let (release, held) = mpsc::channel::<()>();
        let (started, running) = mpsc::channel::<()>();
        // The one thread is busy until `release` says so.
        let holder = pool.clone();
        let busy = actix_web::rt::spawn(async move {
            holder
                .run(move || {
                    let _ = started.send(());
                    let _ = held.recv();
                    7
                })
                .await
        });
        actix_web::rt::task::spawn_blocking(move || running.recv())
            .await
            .expect("join")
            .expect("the first computation started");
        let refused = pool
            .run(|| 8)
            .await
            .map(|_| ())
            .expect_err("no thread free");
        assert_eq!(refused.kind, ErrorKind::Unavailable);
        assert_eq!(refused.retry_after, Some(1));
        release.send(()).expect("release");
        assert_eq!(busy.await.expect("join").expect("ran"), 7);
        assert_eq!(pool.run(|| 9).await.expect("free again"), 9);
        assert_eq!(pool.finished(), 2);
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(hash_password("short").is_err());
        assert_eq!(generate_password().len(), 16);
    }
}
