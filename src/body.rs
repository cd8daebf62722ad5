//! Reading a server's answer without trusting its size: the platforms, the
//! token endpoints and the AI endpoint are read chunk by chunk and given up
//! at [`MAX_BODY_BYTES`], so a broken or hostile server cannot make
//! Reachloop hold gigabytes (reqwest's own `text`/`json`/`bytes` read
//! whatever arrives). A `Content-Length` over the cap is refused before
//! anything is read.

use serde_json::Value;

/// The most of one answer Reachloop reads: far above any answer the
/// platforms or a model send (a page of 100 posts, a generation), far below
/// what would hurt.
pub const MAX_BODY_BYTES: usize = 4 << 20;

/// An answer that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// It is (or says it is) larger than the cap; the rest was not read.
    #[error("it is larger than {}, more than Reachloop reads", size_words(*.cap))]
    TooLarge { cap: usize },
    /// The connection failed while reading (in words, never reqwest's text).
    #[error("{}", crate::error::transport_words(.0))]
    Transport(reqwest::Error),
    /// It was read whole but is not JSON (serde's words are not kept: they
    /// may quote the answer).
    #[error("it is not JSON")]
    NotJson,
}

impl BodyError {
    pub fn is_too_large(&self) -> bool {
        matches!(self, BodyError::TooLarge { .. })
    }
}

fn size_words(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// At most `cap` bytes of `response`'s body; more is [`BodyError::TooLarge`].
pub async fn bytes_capped(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<Vec<u8>, BodyError> {
    if response
        .content_length()
        .is_some_and(|n| n > u64::try_from(cap).unwrap_or(u64::MAX))
    {
        return Err(BodyError::TooLarge { cap });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len().saturating_add(chunk.len()) > cap {
            // Dropping the response closes the connection mid-answer.
            return Err(BodyError::TooLarge { cap });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The body (at most [`MAX_BODY_BYTES`]).
pub async fn bytes(response: reqwest::Response) -> Result<Vec<u8>, BodyError> {
    bytes_capped(response, MAX_BODY_BYTES).await
}

/// The body as text (at most [`MAX_BODY_BYTES`]; invalid UTF-8 replaced).
pub async fn text(response: reqwest::Response) -> Result<String, BodyError> {
    let bytes = bytes(response).await?;
    Ok(String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// The body as JSON (at most [`MAX_BODY_BYTES`]).
pub async fn json(response: reqwest::Response) -> Result<Value, BodyError> {
    let bytes = bytes(response).await?;
    serde_json::from_slice(&bytes).map_err(|_| BodyError::NotJson)
}

/// The `oauth2` crate's HTTP client, reading token answers through
/// [`bytes`] (its own reqwest client reads them whole). An answer over the
/// cap is `HttpClientError::Other` with [`BodyError`]'s words.
pub(crate) struct TokenHttp<'a>(pub &'a reqwest::Client);

type TokenHttpError = oauth2::HttpClientError<reqwest::Error>;

impl<'c> oauth2::AsyncHttpClient<'c> for TokenHttp<'_> {
    type Error = TokenHttpError;
    type Future = std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<oauth2::HttpResponse, TokenHttpError>>
                + Send
                + 'c,
        >,
    >;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request: reqwest::Request = request.try_into().map_err(Box::new)?;
            let response = self.0.execute(request).await.map_err(Box::new)?;
            let mut builder = oauth2::http::Response::builder()
                .status(response.status())
                .version(response.version());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = match bytes(response).await {
                Ok(body) => body,
                Err(BodyError::Transport(e)) => return Err(Box::new(e).into()),
                Err(other) => return Err(oauth2::HttpClientError::Other(other.to_string())),
            };
            builder.body(body).map_err(oauth2::HttpClientError::Http)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server on 127.0.0.1 that answers one request with `head` and then
    /// `chunks` chunks of 64 KiB (`None`: until the client hangs up); gives
    /// its URL and, when done, how many body bytes it sent.
    async fn server(
        head: &'static str,
        chunks: Option<usize>,
    ) -> (String, tokio::task::JoinHandle<u64>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            let mut sent = 0u64;
            if socket.write_all(head.as_bytes()).await.is_err() {
                return sent;
            }
            let chunk = vec![b'x'; 64 * 1024];
            let mut left = chunks;
            while left != Some(0) {
                let frame = format!("{:x}\r\n", chunk.len());
                if socket.write_all(frame.as_bytes()).await.is_err()
                    || socket.write_all(&chunk).await.is_err()
                    || socket.write_all(b"\r\n").await.is_err()
                {
                    return sent;
                }
                sent += chunk.len() as u64;
                left = left.map(|n| n - 1);
            }
            let _ = socket.write_all(b"0\r\n\r\n").await;
            sent
        });
        (url, task)
    }

    const CHUNKED: &str =
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";

    #[tokio::test]
    async fn an_endless_answer_is_given_up_at_the_cap() {
        let (url, server) = server(CHUNKED, None).await;
        let response = reqwest::get(&url).await.expect("answer");
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            bytes_capped(response, 1 << 20),
        )
        .await
        .expect("reading stops at the cap instead of running on");
        let e = read.expect_err("too large");
        assert!(e.is_too_large(), "{e:?}");
        assert_eq!(
            e.to_string(),
            "it is larger than 1 MiB, more than Reachloop reads"
        );
        let sent = server.await.expect("server");
        assert!(sent < 8 << 20, "the client stopped reading ({sent} bytes)");
    }

    #[tokio::test]
    async fn a_declared_length_over_the_cap_is_refused_unread() {
        let (url, _server) = server(
            "HTTP/1.1 200 OK\r\ncontent-length: 999999999\r\n\r\n",
            Some(0),
        )
        .await;
        let response = reqwest::get(&url).await.expect("answer");
        assert!(bytes(response).await.expect_err("refused").is_too_large());
    }

    #[tokio::test]
    async fn an_answer_within_the_cap_is_read_whole() {
        let (url, _server) = server(CHUNKED, Some(3)).await;
        let response = reqwest::get(&url).await.expect("answer");
        assert_eq!(
            bytes_capped(response, 3 * 64 * 1024)
                .await
                .expect("read")
                .len(),
            3 * 64 * 1024
        );
    }
}
