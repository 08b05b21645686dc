//! Password hashing with argon2 (PHC strings, a fresh salt each time), and the random tokens
//! of CSRF and password resets.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::error::{AppError, AppResult};

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
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), stored_hash)
        .is_ok()
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
    fn short_passwords_are_refused() {
        assert!(hash_password("short").is_err());
        assert_eq!(generate_password().len(), 16);
    }
}
