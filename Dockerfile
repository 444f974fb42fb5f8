# Production image: a release build of blog-api on a slim Debian. libpq, SQLite and OpenSSL are compiled
# into the binary (the bundled/vendored crate features), so the runtime image needs only CA certificates.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked && cp target/release/blog-api /usr/local/bin/blog-api

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/blog-api blog \
    && install -d -o blog -g blog /var/lib/blog-api/media
COPY --from=build /usr/local/bin/blog-api /usr/local/bin/blog-api
# The default database (sqlite://blog.db) and media store (file://./media) live in the user's home, which it
# owns; mount volumes there to keep them (the media directory exists, owned by the user, so a named volume
# mounted on it starts writable).
USER blog
WORKDIR /var/lib/blog-api
ENV BIND=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -sf http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["blog-api"]
CMD ["serve"]
