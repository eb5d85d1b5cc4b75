//! Secrets (an SRT passphrase, an RTMP stream key): read from an environment variable or a file,
//! never from the command line, and masked in everything printed.

use std::path::Path;

/// Where a secret came from, for messages (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    /// The secret.
    pub value: String,
    /// "the environment variable NAME" or "the file PATH".
    pub origin: String,
}

/// Reads a secret from `file` when given (its first line, without the line end), else from the
/// environment variable `env` when set and not empty. Errors name the file and the problem (an
/// unreadable file, an empty one), never its content.
pub fn read(env: &str, file: Option<&Path>) -> Result<Option<Secret>, String> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("the secret file {} cannot be read: {e}", path.display()))?;
        let value = text.lines().next().unwrap_or("").to_string();
        if value.is_empty() {
            return Err(format!("the secret file {} is empty", path.display()));
        }
        return Ok(Some(Secret {
            value,
            origin: format!("the file {}", path.display()),
        }));
    }
    Ok(std::env::var(env)
        .ok()
        .filter(|v| !v.is_empty())
        .map(|value| Secret {
            value,
            origin: format!("the environment variable {env}"),
        }))
}

/// Checks an SRT passphrase: SRT takes 10 to 79 characters. The error names where it came from.
pub fn check_srt_passphrase(s: &Secret) -> Result<(), String> {
    let n = s.value.chars().count();
    if (10..=79).contains(&n) {
        Ok(())
    } else {
        Err(format!(
            "the SRT passphrase from {} has {n} characters; SRT takes 10 to 79",
            s.origin
        ))
    }
}

/// Replaces every secret in printed text with `****`.
#[derive(Debug, Default, Clone)]
pub struct Masker {
    secrets: Vec<String>,
}

impl Masker {
    /// Adds a secret to mask (empty ones are ignored: they would mask everything).
    pub fn add(&mut self, secret: &str) {
        if !secret.is_empty() {
            self.secrets.push(secret.to_string());
        }
    }

    /// `text` with every secret replaced by `****`.
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            out = out.replace(s.as_str(), "****");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_wins_over_the_environment_and_only_its_first_line_counts() {
        let dir = std::env::temp_dir().join(format!("deliver-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("key");
        std::fs::write(&file, "s3cret-passphrase\nignored\n").unwrap();
        std::env::set_var("DELIVER_TEST_SECRET", "from-env-value");
        let s = read("DELIVER_TEST_SECRET", Some(&file)).unwrap().unwrap();
        assert_eq!(s.value, "s3cret-passphrase");
        assert!(s.origin.contains("key"));
        let s = read("DELIVER_TEST_SECRET", None).unwrap().unwrap();
        assert_eq!(s.value, "from-env-value");
        assert_eq!(read("DELIVER_TEST_UNSET_SECRET", None).unwrap(), None);
        std::fs::write(&file, "\n").unwrap();
        let e = read("X", Some(&file)).unwrap_err();
        assert!(e.contains("is empty") && e.contains("key"), "{e}");
        let e = read("X", Some(&dir.join("missing"))).unwrap_err();
        assert!(e.contains("cannot be read"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_short_srt_passphrase_is_refused_without_showing_it() {
        let s = Secret {
            value: "short".into(),
            origin: "the file /k".into(),
        };
        let e = check_srt_passphrase(&s).unwrap_err();
        assert!(
            e.contains("/k") && e.contains("10 to 79") && !e.contains("short"),
            "{e}"
        );
    }

    #[test]
    fn masking_hides_every_occurrence() {
        let mut m = Masker::default();
        m.add("abc123key");
        m.add("");
        assert_eq!(
            m.mask("rtmp://h/app/abc123key failed (abc123key)"),
            "rtmp://h/app/**** failed (****)"
        );
    }
}
