"""The Azure Functions app (Python v2 model): a table of contents of the event chain.

Each trigger unpacks its binding, calls one stage in pipeline/stages.py and logs one line. Heavy
libraries (pyarrow, duckdb, pyodbc, scikit-learn) are imported inside the stages, never here, so indexing and
cold start stay fast. Blob triggers take SDK-typed BlobClients: the host passes only the blob's
name, and the stage streams the content itself instead of holding whole exports in memory.
"""

import json
import logging

import azure.functions as func
import azurefunctions.extensions.bindings.blob as blob

from contracts.layout import ANALYSIS_QUEUE, LOAD_QUEUE, RAW_CONTAINER, UPLOAD_CONTAINER
from extract.spotify.errors import SpotifyAuthError
from pipeline import stages
from settings import STORAGE_CONNECTION, Settings

SETTINGS = Settings.from_env()
# Flex Consumption needs the Event Grid source; `func start` on Azurite needs polling
# (local.settings.sample.json sets BLOB_TRIGGER_SOURCE=LogsAndContainerScan).
BLOB_SOURCE = func.BlobSource(SETTINGS.blob_trigger_source)

app = func.FunctionApp()
logger = logging.getLogger("function_app")
# azure-core logs each storage request and response at INFO on this logger, and nothing else.
# Under the worker every record is a log of the invocation that host.json cannot tell from ours
# (both Function.<name>.User, Information): a dozen Application Insights traces per invocation.
# Quiet it at its logger; failures still raise (tests/worker/test_worker_logging.py).
logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)


@app.blob_trigger(
    arg_name="client", path=f"{UPLOAD_CONTAINER}/{{name}}", connection=STORAGE_CONNECTION, source=BLOB_SOURCE
)
def accept_upload(client: blob.BlobClient) -> None:
    """A privacy export dropped into upload/: validate it, land its history files in raw/."""
    name = client.blob_name
    try:
        result = stages.accept_upload(SETTINGS, name)
    except stages.UploadRefused as refused:
        # A bad upload is the user's mistake, not a fault to retry: it is quarantined with the reason.
        logger.error("upload %s refused: %s", name, refused)
        return
    logger.info("upload %s: landed %d history files as %s", name, len(result.raw_paths), result.upload_id)


@app.blob_trigger(
    arg_name="client", path=f"{RAW_CONTAINER}/{{name}}", connection=STORAGE_CONNECTION, source=BLOB_SOURCE
)
@app.queue_output(arg_name="load", queue_name=LOAD_QUEUE, connection=STORAGE_CONNECTION)
def curate_raw(client: blob.BlobClient, load: func.Out[str]) -> None:
    """A file landed in raw/: clean it into curated Parquet and ask for exactly those files to load."""
    name = client.blob_name
    message = stages.curate_raw(SETTINGS, name)
    if message is None:
        logger.info("raw %s: nothing to curate", name)
        return
    load.set(message.to_json())
    logger.info("raw %s: curated %d files", name, len(message.files))


@app.queue_trigger(arg_name="msg", queue_name=LOAD_QUEUE, connection=STORAGE_CONNECTION)
def load_curated(msg: func.QueueMessage) -> None:
    """Load one message's curated files into the warehouse; failures retry, then go to poison."""
    try:
        result = stages.load_curated(SETTINGS, msg.get_body().decode("utf-8"))
    except stages.LoadDeferred as deferred:
        # The pool is not online: the same body is queued again with a delay, so this delivery
        # finishes (no dequeue count spent on waiting for a resume).
        logger.info("load %s: %s", msg.id, deferred)
        return
    logger.info(
        "load %s: %d streams accepted, %d duplicates skipped",
        msg.id,
        result.streams_accepted,
        result.duplicates_skipped,
    )


@app.timer_trigger(arg_name="timer", schedule=SETTINGS.extract_schedule, run_on_startup=False)
def extract_spotify(timer: func.TimerRequest) -> None:
    """Daily (EXTRACT_SCHEDULE, UTC): pull recently played and top items, enrich the catalog."""
    if timer.past_due:
        logger.info("extract: timer is past due, running now")
    try:
        report = stages.run_extract(SETTINGS)
    except SpotifyAuthError as error:
        # Expired/revoked consent or missing credentials: only a person can fix it (the message says
        # how); retrying cannot, and the other functions keep running.
        logger.error("extract: %s", error)
        return
    logger.info("extract: %s", report)


@app.timer_trigger(arg_name="timer", schedule=SETTINGS.analysis_schedule, run_on_startup=False)
@app.queue_output(arg_name="request", queue_name=ANALYSIS_QUEUE, connection=STORAGE_CONNECTION)
def request_analyses(timer: func.TimerRequest, request: func.Out[str]) -> None:
    """Weekly (ANALYSIS_SCHEDULE, UTC): ask for the analyses; run_analyses runs them."""
    request.set(stages.analysis_request())
    logger.info("analyses requested")


@app.queue_trigger(arg_name="msg", queue_name=ANALYSIS_QUEUE, connection=STORAGE_CONNECTION)
def run_analyses(msg: func.QueueMessage) -> None:
    """The hit model, listening modes and segments; their results go to the load queue."""
    try:
        report = stages.run_analyses(SETTINGS, msg.get_body().decode("utf-8"))
    except stages.LoadDeferred as deferred:  # waiting for the SQL pool, as a load does
        logger.info("analyses %s: %s", msg.id, deferred)
        return
    logger.info("analyses: %s", report)


@app.timer_trigger(arg_name="timer", schedule=SETTINGS.synapse_pause_schedule, run_on_startup=False)
def pause_idle_pool(timer: func.TimerRequest) -> None:
    """Every few minutes (SYNAPSE_PAUSE_SCHEDULE, UTC): pause the SQL pool once no load ran for a while."""
    report = stages.pause_idle_pool(SETTINGS)
    logger.info("pool: %s", report)


def _period_error(error: Exception) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps({"error": str(error)}), status_code=400, mimetype="application/json", charset="utf-8"
    )


def _unavailable(error: Exception) -> func.HttpResponse:
    # The warehouse cannot be reached (a paused pool, a missing driver): say so, do not crash.
    logger.error("report: %s", error)
    return func.HttpResponse(
        json.dumps({"error": str(error)}), status_code=503, mimetype="application/json", charset="utf-8"
    )


@app.route(route="wrapped", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def wrapped(req: func.HttpRequest) -> func.HttpResponse:
    """GET /api/wrapped?from=&to=&year=&month=&tz=&user=&top= : the listening summary as JSON."""
    try:
        summary = stages.summary_for_request(SETTINGS, req.params)
    except ValueError as error:  # a bad query string: the caller's mistake
        return _period_error(error)
    except stages.WarehouseUnavailable as error:
        return _unavailable(error)
    logger.info("wrapped: %d streams", summary["streams"])
    body = json.dumps(summary, default=str, ensure_ascii=False)
    return func.HttpResponse(body, mimetype="application/json", charset="utf-8")


@app.route(route="report", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def report(req: func.HttpRequest) -> func.HttpResponse:
    """GET /api/report?... (as /api/wrapped): the listening report, one self-contained HTML page."""
    try:
        page = stages.report_page(SETTINGS, req.params)
    except ValueError as error:
        return _period_error(error)
    except stages.WarehouseUnavailable as error:
        return _unavailable(error)
    logger.info("report: %d bytes", len(page))
    return func.HttpResponse(page, mimetype="text/html", charset="utf-8")
