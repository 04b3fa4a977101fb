# Headless tabletop for batch runs on a cluster (see deploy/).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo install --locked --path . --root /usr/local

FROM debian:bookworm-slim
COPY --from=build /usr/local/bin/tabletop /usr/local/bin/tabletop
WORKDIR /opt/tabletop
COPY assets assets
COPY scenarios scenarios
ENTRYPOINT []
CMD ["tabletop", "--help"]
