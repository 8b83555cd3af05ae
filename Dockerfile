# sisrelay in a container (untested here: no Docker engine runs on the build machine; see README).
# Build:  docker build -t sisrelay .
# Run:    docker run --rm -v /etc/sisrelay:/etc/sisrelay:ro -v sisrelay-state:/var/lib/sisrelay \
#           -v sisrelay-logs:/var/log/sisrelay --env-file /etc/sisrelay/env sisrelay
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production TZ=UTC SISRELAY_CONFIG=/etc/sisrelay/sisrelay.json
RUN groupadd --system sisrelay && useradd --system --gid sisrelay --home-dir /var/lib/sisrelay sisrelay \
 && mkdir -p /var/lib/sisrelay /var/log/sisrelay && chown sisrelay:sisrelay /var/lib/sisrelay /var/log/sisrelay \
 && chmod 0700 /var/lib/sisrelay
WORKDIR /opt/sisrelay
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY data ./data
COPY config/example.json ./config/example.json
USER sisrelay
VOLUME ["/var/lib/sisrelay", "/var/log/sisrelay"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/opt/sisrelay/bin/sisrelay.js"]
CMD ["start"]
