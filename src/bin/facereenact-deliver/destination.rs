//! Where the stream goes: parsed from the DEST argument.

use std::path::PathBuf;

/// A delivery destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// `srt://HOST:PORT`: we call a listener (an ingest server, a receiver).
    SrtCaller { host: String, port: u16 },
    /// `srt://:PORT`: we listen; receivers call in.
    SrtListener { port: u16 },
    /// `rtmp://HOST[:PORT]/APP[/STREAM]` or `rtmps://...`: we publish to a server. Without STREAM
    /// in the URL the stream key comes from a secret (see `secret`).
    Rtmp {
        secure: bool,
        host: String,
        port: Option<u16>,
        app: String,
        stream: Option<String>,
    },
    /// A recording: `.ts`, `.mp4` or `.mkv`.
    File(PathBuf),
}

impl Destination {
    /// Parses DEST. Errors say what forms are taken.
    pub fn parse(dest: &str) -> Result<Destination, String> {
        if let Some(rest) = dest.strip_prefix("srt://") {
            let (host, port) = rest.rsplit_once(':').ok_or_else(|| srt_form(dest))?;
            let port: u16 = port.parse().map_err(|_| srt_form(dest))?;
            if host.contains('/') || host.contains('?') || port == 0 {
                return Err(srt_form(dest));
            }
            return Ok(if host.is_empty() {
                Destination::SrtListener { port }
            } else {
                Destination::SrtCaller {
                    host: host.to_string(),
                    port,
                }
            });
        }
        for (scheme, secure) in [("rtmp://", false), ("rtmps://", true)] {
            if let Some(rest) = dest.strip_prefix(scheme) {
                let mut parts = rest.splitn(3, '/');
                let authority = parts.next().unwrap_or("");
                let app = parts.next().unwrap_or("");
                let stream = parts.next().filter(|s| !s.is_empty()).map(String::from);
                if authority.is_empty() || app.is_empty() {
                    return Err(rtmp_form(dest));
                }
                let (host, port) = match authority.rsplit_once(':') {
                    Some((h, p)) => (h, Some(p.parse().map_err(|_| rtmp_form(dest))?)),
                    None => (authority, None),
                };
                return Ok(Destination::Rtmp {
                    secure,
                    host: host.to_string(),
                    port,
                    app: app.to_string(),
                    stream,
                });
            }
        }
        if dest.contains("://") {
            return Err(format!(
                "destination '{dest}': only srt://, rtmp:// and rtmps:// URLs are sent to"
            ));
        }
        if [".ts", ".mp4", ".mkv"].iter().any(|e| dest.ends_with(e)) {
            return Ok(Destination::File(PathBuf::from(dest)));
        }
        Err(format!(
            "destination '{dest}' is not srt://, rtmp://, rtmps:// or a .ts, .mp4 or .mkv file"
        ))
    }

    /// Whether it is a network link (reconnected, frames dropped while it is down) rather than
    /// a recording (every frame kept).
    pub fn is_network(&self) -> bool {
        !matches!(self, Destination::File(_))
    }

    /// For messages: the peer, never a stream key.
    pub fn describe(&self) -> String {
        match self {
            Destination::SrtCaller { host, port } => format!("the SRT listener {host}:{port}"),
            Destination::SrtListener { port } => format!("SRT receivers calling port {port}"),
            Destination::Rtmp {
                secure,
                host,
                port,
                app,
                ..
            } => format!(
                "the RTMP{} server {host}{} (application {app})",
                if *secure { "S" } else { "" },
                port.map(|p| format!(":{p}")).unwrap_or_default()
            ),
            Destination::File(p) => p.display().to_string(),
        }
    }
}

fn srt_form(dest: &str) -> String {
    format!("SRT destination '{dest}' is not srt://HOST:PORT (caller) or srt://:PORT (listener)")
}

fn rtmp_form(dest: &str) -> String {
    format!("RTMP destination '{dest}' is not rtmp[s]://HOST[:PORT]/APP[/STREAM]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_parses_and_bad_ones_say_what_is_taken() {
        assert_eq!(
            Destination::parse("srt://10.0.0.5:9000"),
            Ok(Destination::SrtCaller {
                host: "10.0.0.5".into(),
                port: 9000
            })
        );
        assert_eq!(
            Destination::parse("srt://:9000"),
            Ok(Destination::SrtListener { port: 9000 })
        );
        assert_eq!(
            Destination::parse("rtmps://live.example:443/app"),
            Ok(Destination::Rtmp {
                secure: true,
                host: "live.example".into(),
                port: Some(443),
                app: "app".into(),
                stream: None
            })
        );
        let Ok(Destination::Rtmp { stream, .. }) = Destination::parse("rtmp://h/live/show/x")
        else {
            panic!()
        };
        assert_eq!(stream.as_deref(), Some("show/x"));
        assert!(
            Destination::parse("out/rec.mp4").unwrap() == Destination::File("out/rec.mp4".into())
        );
        for bad in [
            "srt://host",
            "srt://h:x",
            "rtmp://h",
            "http://h/x",
            "out.avi",
        ] {
            assert!(Destination::parse(bad).is_err(), "{bad}");
        }
        assert!(Destination::parse("srt://h:x")
            .unwrap_err()
            .contains("srt://HOST:PORT"));
    }

    #[test]
    fn the_description_never_shows_the_stream_key() {
        let d = Destination::parse("rtmp://h:1935/live/sekrit").unwrap();
        let text = d.describe();
        assert!(
            text.contains("h:1935") && !text.contains("sekrit"),
            "{text}"
        );
    }
}
