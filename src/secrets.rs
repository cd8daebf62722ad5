//! The secrets envelope: AES-256-GCM with a data key held in the OS keychain.
//!
//! A sealed secret is `version (1 byte) || nonce (12 bytes) || ciphertext+tag`.
//! Each is bound to its owner by associated data (e.g. an account id), so a
//! ciphertext copied onto another row does not open. The 256-bit data key is
//! created on first use and lives only in the keychain; there is no plaintext
//! fallback when the keychain is missing or locked.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;
/// Associated data of the canary that proves which key sealed a database.
const CANARY_AAD: &[u8] = b"reachloop/key-canary";
const CANARY_PLAINTEXT: &[u8] = b"reachloop";

/// Where the data key lives.
pub trait KeyStore: Send + Sync {
    /// The stored key, or `None` when there is none yet.
    fn load(&self) -> Result<Option<Zeroizing<Vec<u8>>>, KeychainError>;
    fn save(&self, key: &[u8]) -> Result<(), KeychainError>;
}

/// The OS keychain (Secret Service on Linux, Keychain on macOS, Credential
/// Manager on Windows), through the `keyring` crate.
#[derive(Debug, Clone)]
pub struct OsKeychain {
    service: String,
    user: String,
}

/// Keychain service name used by the app.
pub const DEFAULT_SERVICE: &str = "dev.reachloop.app";
/// Environment variable that overrides the service name (tests use their own).
pub const SERVICE_ENV: &str = "REACHLOOP_KEYCHAIN_SERVICE";

impl OsKeychain {
    pub fn new(service: &str) -> OsKeychain {
        OsKeychain {
            service: service.to_string(),
            user: "data-key".to_string(),
        }
    }

    /// Another entry under the same service, e.g. an app's client secret.
    pub fn with_user(&self, user: &str) -> OsKeychain {
        OsKeychain {
            service: self.service.clone(),
            user: user.to_string(),
        }
    }

    /// Removes the entry if it exists.
    pub fn forget(&self) -> Result<(), KeychainError> {
        self.delete()
    }

    /// The keychain service name the key is filed under.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The app's keychain entry, honouring [`SERVICE_ENV`].
    pub fn from_env() -> OsKeychain {
        match std::env::var(SERVICE_ENV) {
            Ok(s) if !s.is_empty() => OsKeychain::new(&s),
            _ => OsKeychain::new(DEFAULT_SERVICE),
        }
    }

    fn entry(&self) -> Result<keyring::Entry, KeychainError> {
        keyring::Entry::new(&self.service, &self.user).map_err(KeychainError::from)
    }

    /// Removes the key. Only for tests and a deliberate reset.
    pub fn delete(&self) -> Result<(), KeychainError> {
        match self.entry()?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

impl KeyStore for OsKeychain {
    fn load(&self) -> Result<Option<Zeroizing<Vec<u8>>>, KeychainError> {
        match self.entry()?.get_secret() {
            Ok(key) => Ok(Some(Zeroizing::new(key))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn save(&self, key: &[u8]) -> Result<(), KeychainError> {
        self.entry()?.set_secret(key).map_err(KeychainError::from)
    }
}

/// The keychain could not be used. Messages say what to do; they never hold
/// key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeychainError {
    #[error(
        "the OS keychain is not available ({0}). Reachloop keeps its encryption key there and will not \
         store secrets without it: start your keyring service (on Linux, a Secret Service such as \
         gnome-keyring or KeePassXC) and try again"
    )]
    Unavailable(String),
    #[error("the OS keychain is locked or refused access ({0}); unlock it and try again")]
    Locked(String),
    #[error("the OS keychain failed: {0}")]
    Other(String),
}

impl From<keyring::Error> for KeychainError {
    fn from(e: keyring::Error) -> KeychainError {
        match e {
            keyring::Error::PlatformFailure(inner) => KeychainError::Unavailable(inner.to_string()),
            keyring::Error::NoStorageAccess(inner) => KeychainError::Locked(inner.to_string()),
            other => KeychainError::Other(other.to_string()),
        }
    }
}

/// Sealing or opening failed.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error(
        "the encryption key for this data is missing from the OS keychain, so stored secrets cannot be \
         read; reconnect your accounts after restoring the keychain entry or resetting secrets"
    )]
    KeyMissing,
    #[error(
        "the OS keychain holds a different encryption key from the one this data was sealed with; \
         stored secrets cannot be read"
    )]
    KeyMismatch,
    #[error("the keychain entry does not hold a valid 256-bit key")]
    KeyCorrupt,
    #[error("a sealed secret is malformed or was sealed by an unknown version")]
    Malformed,
    #[error("a sealed secret failed authentication: it was altered or belongs to another owner")]
    Unauthentic,
}

/// An unlocked data key, ready to seal and open.
pub struct Vault {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(<key hidden>)")
    }
}

/// What [`Vault::unlock`] found.
#[derive(Debug)]
pub struct Unlocked {
    pub vault: Vault,
    /// A new key was created; store this canary with the data so a later
    /// unlock can tell if the key went missing or changed.
    pub new_canary: Option<Vec<u8>>,
}

impl Vault {
    /// Builds a vault from raw key bytes.
    pub fn from_key(key: &[u8]) -> Result<Vault, SecretsError> {
        if key.len() != KEY_LEN {
            return Err(SecretsError::KeyCorrupt);
        }
        Ok(Vault {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)),
        })
    }

    /// Unlocks the data key in `store`. `canary` is what an earlier unlock
    /// returned for this database, if any: with a canary, the key must exist
    /// and match; without one, a missing key is created.
    pub fn unlock(
        store: &dyn KeyStore,
        canary: Option<&[u8]>,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Unlocked, SecretsError> {
        match (store.load()?, canary) {
            (Some(key), canary) => {
                let vault = Vault::from_key(&key)?;
                match canary {
                    Some(c) if vault.open(c, CANARY_AAD).is_err() => Err(SecretsError::KeyMismatch),
                    Some(_) => Ok(Unlocked {
                        vault,
                        new_canary: None,
                    }),
                    None => {
                        let new_canary = Some(vault.seal(CANARY_PLAINTEXT, CANARY_AAD, rng));
                        Ok(Unlocked { vault, new_canary })
                    }
                }
            }
            (None, Some(_)) => Err(SecretsError::KeyMissing),
            (None, None) => {
                let mut key = Zeroizing::new(vec![0u8; KEY_LEN]);
                rng.fill_bytes(&mut key);
                store.save(&key)?;
                // Read back, so a keychain that accepts but does not keep fails now.
                let stored = store.load()?.ok_or(SecretsError::KeyMissing)?;
                if stored.as_slice() != key.as_slice() {
                    return Err(SecretsError::KeyMismatch);
                }
                let vault = Vault::from_key(&key)?;
                let new_canary = Some(vault.seal(CANARY_PLAINTEXT, CANARY_AAD, rng));
                Ok(Unlocked { vault, new_canary })
            }
        }
    }

    /// Encrypts `plaintext` bound to `owner` with a fresh random nonce.
    pub fn seal(
        &self,
        plaintext: &[u8],
        owner: &[u8],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: owner,
                },
            )
            .expect("AES-GCM encryption only fails for inputs over 64 GiB");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out
    }

    /// Decrypts an envelope made by [`Vault::seal`] for the same `owner`.
    pub fn open(&self, sealed: &[u8], owner: &[u8]) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
        let (version, rest) = sealed.split_first().ok_or(SecretsError::Malformed)?;
        if *version != VERSION || rest.len() < NONCE_LEN + 16 {
            return Err(SecretsError::Malformed);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: owner,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| SecretsError::Unauthentic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use std::sync::Mutex;

    /// An in-memory key store, for the envelope's own rules. The real
    /// keychain is exercised in `tests/it/secrets.rs`.
    #[derive(Default)]
    struct MemoryStore {
        key: Mutex<Option<Vec<u8>>>,
        fail: Option<KeychainError>,
    }

    impl KeyStore for MemoryStore {
        fn load(&self) -> Result<Option<Zeroizing<Vec<u8>>>, KeychainError> {
            match &self.fail {
                Some(e) => Err(e.clone()),
                None => Ok(self.key.lock().expect("lock").clone().map(Zeroizing::new)),
            }
        }
        fn save(&self, key: &[u8]) -> Result<(), KeychainError> {
            match &self.fail {
                Some(e) => Err(e.clone()),
                None => {
                    *self.key.lock().expect("lock") = Some(key.to_vec());
                    Ok(())
                }
            }
        }
    }

    fn rng() -> StdRng {
        StdRng::seed_from_u64(7)
    }

    #[test]
    fn round_trip_binds_owner_and_uses_fresh_nonces() {
        let store = MemoryStore::default();
        let mut rng = rng();
        let v = Vault::unlock(&store, None, &mut rng).expect("unlock").vault;
        let a = v.seal(b"token-123", b"account-1", &mut rng);
        let b = v.seal(b"token-123", b"account-1", &mut rng);
        assert_ne!(a, b, "nonces must differ");
        assert_eq!(a.len(), 1 + 12 + 9 + 16);
        assert!(
            !a.windows(9).any(|w| w == b"token-123"),
            "plaintext must not appear"
        );
        assert_eq!(
            v.open(&a, b"account-1").expect("open").as_slice(),
            b"token-123"
        );
        assert!(matches!(
            v.open(&a, b"account-2"),
            Err(SecretsError::Unauthentic)
        ));
    }

    #[test]
    fn tampering_anywhere_is_rejected() {
        let store = MemoryStore::default();
        let mut rng = rng();
        let v = Vault::unlock(&store, None, &mut rng).expect("unlock").vault;
        let sealed = v.seal(b"secret", b"owner", &mut rng);
        for i in 1..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(
                matches!(v.open(&bad, b"owner"), Err(SecretsError::Unauthentic)),
                "byte {i}"
            );
        }
        let mut wrong_version = sealed.clone();
        wrong_version[0] = 9;
        assert!(matches!(
            v.open(&wrong_version, b"owner"),
            Err(SecretsError::Malformed)
        ));
        assert!(matches!(
            v.open(&sealed[..20], b"owner"),
            Err(SecretsError::Malformed)
        ));
        assert!(matches!(
            v.open(&[], b"owner"),
            Err(SecretsError::Malformed)
        ));
    }

    #[test]
    fn key_is_created_once_then_checked_against_the_canary() {
        let store = MemoryStore::default();
        let mut rng = rng();
        let first = Vault::unlock(&store, None, &mut rng).expect("create");
        let canary = first.new_canary.expect("a new key yields a canary");
        let sealed = first.vault.seal(b"s", b"o", &mut rng);

        let again = Vault::unlock(&store, Some(&canary), &mut rng).expect("reopen");
        assert!(again.new_canary.is_none());
        assert_eq!(
            again.vault.open(&sealed, b"o").expect("open").as_slice(),
            b"s"
        );

        // The key vanished from the keychain: never silently make a new one.
        let empty = MemoryStore::default();
        assert!(matches!(
            Vault::unlock(&empty, Some(&canary), &mut rng),
            Err(SecretsError::KeyMissing)
        ));
        assert!(
            empty.key.lock().expect("lock").is_none(),
            "no key may be created when data exists"
        );

        // A different key in the keychain.
        let other = MemoryStore {
            key: Mutex::new(Some(vec![1; 32])),
            fail: None,
        };
        assert!(matches!(
            Vault::unlock(&other, Some(&canary), &mut rng),
            Err(SecretsError::KeyMismatch)
        ));

        let short = MemoryStore {
            key: Mutex::new(Some(vec![1; 16])),
            fail: None,
        };
        assert!(matches!(
            Vault::unlock(&short, None, &mut rng),
            Err(SecretsError::KeyCorrupt)
        ));
    }

    #[test]
    fn keychain_failures_surface_and_never_fall_back() {
        let mut rng = rng();
        for fail in [
            KeychainError::Locked("prompt dismissed".into()),
            KeychainError::Unavailable("no bus".into()),
        ] {
            let store = MemoryStore {
                key: Mutex::new(None),
                fail: Some(fail.clone()),
            };
            match Vault::unlock(&store, None, &mut rng) {
                Err(SecretsError::Keychain(e)) => assert_eq!(e, fail),
                other => panic!("expected a keychain error, got {other:?}"),
            }
        }
    }

    #[test]
    fn debug_output_hides_the_key() {
        let v = Vault::from_key(&[0xAB; 32]).expect("key");
        let shown = format!("{v:?}");
        assert!(
            !shown.contains("171") && !shown.to_lowercase().contains("ab, ab"),
            "{shown}"
        );
    }
}
