# The app image: compiled TypeScript and the built web app on Node 20, production dependencies only, non-root.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Exactly the locked versions (see scripts/bootstrap.cjs for why not `npm ci`); the web app's
# toolchain (Vite, React, Ant Design…) is among the dev dependencies and stays in this stage.
RUN npm install --no-save --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
RUN npx tsc -p tsconfig.json
COPY agent-ui ./agent-ui
COPY scripts/build-ui.cjs ./scripts/build-ui.cjs
RUN node scripts/build-ui.cjs --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-save --no-audit --no-fund --omit=dev && npm cache clean --force
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/agent-ui/dist ./agent-ui/dist
COPY ivr ./ivr
USER node
EXPOSE 3000
CMD ["node", "dist/src/main.js"]
