# GeoLedger's release build in a container (used by docker-compose.yml).
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm cmake \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
 && cargo install cargo-leptos --version 0.3.10 --locked \
 && cargo install wasm-bindgen-cli --version 0.2.130
WORKDIR /src
COPY end2end/package.json end2end/package-lock.json end2end/
RUN cd end2end && npm ci --no-audit --no-fund
ENV PATH="/src/end2end/node_modules/.bin:${PATH}" CARGO_TARGET_DIR=/src/target
COPY . .
RUN bash -c '. scripts/lib.sh && build_release'

FROM debian:bookworm-slim
# libssl3: librdkafka's TLS and SASL/SCRAM (rdkafka's ssl feature links OpenSSL).
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin geoledger
WORKDIR /app
COPY --from=build /src/target/release/geoledger /app/geoledger
# The bundle's hashed file names, read from beside the binary.
COPY --from=build /src/target/release/hash.txt /app/hash.txt
COPY --from=build /src/target/site /app/site
ENV GEOLEDGER_SITE_ROOT=/app/site GEOLEDGER_LISTEN=0.0.0.0:3000
EXPOSE 3000
# Not root: the server needs no privilege (port 3000; uploads wait in /tmp).
USER 10001:10001
ENTRYPOINT ["/app/geoledger"]
CMD ["serve"]
