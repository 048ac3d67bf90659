# arxiv-digest-bot: one process runs Telegram, Discord, the scheduler and the HTTP port.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY storage ./storage
COPY app ./app
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////data/arxiv-bot.db \
    ARXIV_BOT_HTTP_HOST=0.0.0.0 \
    ARXIV_BOT_HTTP_PORT=8080
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --create-home --uid 10001 arxivbot \
    && mkdir /data && chown arxivbot /data
USER arxivbot
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"ARXIV_BOT_HTTP_PORT\"]}/healthz', timeout=4)" || exit 1
ENTRYPOINT ["arxiv-bot"]
CMD ["run"]
