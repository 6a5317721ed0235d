"""One run of the gRPC latency benchmark (started by run.sh): a Python grpcio client makes
calls with a bearer token, one after another, and the baseline is the server's own
`vte_grpc_call_seconds` histogram over the same calls (read from /metrics before and after).

- `--server <latency_server>`: `IdentityService/WhoAmI` on the gRPC server every VTE service
  runs (`crates/vte-service/examples/latency_server.rs`), TCP_NODELAY on or off;
- `--platform <vte binary>`: `OffersService/SearchOffers` (a page of the demo offers, read from
  PostgreSQL) on `vte up --demo`, started here on ports shifted by `--port-offset`.

With `--expect-within-ms N`, the client's p50 must be within N ms of the server's.
"""

import argparse
import re
import statistics
import subprocess
import sys
import time
import urllib.request

import grpc

from vte.identity.v1 import identity_service_pb2, identity_service_pb2_grpc
from vte.offers.v1 import offer_requests_pb2, offers_service_pb2_grpc

WHO_AM_I = "/vte.identity.v1.IdentityService/WhoAmI"
SEARCH_OFFERS = "/vte.offers.v1.OffersService/SearchOffers"
BUCKET = re.compile(r'^vte_grpc_call_seconds_bucket\{(?P<labels>[^}]*)\} (?P<count>\S+)$')
TOTAL = re.compile(r'^vte_grpc_call_seconds_(?P<kind>sum|count)\{(?P<labels>[^}]*)\} (?P<value>\S+)$')


def scrape(metrics_addr, method):
    """The method's histogram: cumulative counts by upper bound, then sum and count."""
    text = urllib.request.urlopen(f"http://{metrics_addr}/metrics", timeout=5).read().decode()
    buckets, totals = {}, {"sum": 0.0, "count": 0.0}
    for line in text.splitlines():
        if f'method="{method}"' not in line:
            continue
        if match := BUCKET.match(line):
            bound = re.search(r'le="([^"]+)"', match["labels"]).group(1)
            buckets[float("inf") if bound == "+Inf" else float(bound)] = float(match["count"])
        elif match := TOTAL.match(line):
            totals[match["kind"]] = float(match["value"])
    return buckets, totals


def histogram_quantile(q, before, after):
    """Prometheus' histogram_quantile over the calls between two scrapes."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    rank = q * counts[-1]
    lower, below = 0.0, 0.0
    for bound, cumulative in zip(bounds, counts):
        if cumulative >= rank:
            if bound == float("inf"):
                return lower
            share = (rank - below) / (cumulative - below) if cumulative > below else 0.0
            return lower + (bound - lower) * share
        lower, below = bound, cumulative
    return lower


def percentile(sorted_samples, p):
    return sorted_samples[min(len(sorted_samples) - 1, round((len(sorted_samples) - 1) * p))]


def start_latency_server(args):
    """The latency server; its address line names its ports and a token."""
    process = subprocess.Popen(
        [args.server, "--nodelay", args.nodelay, "--work-us", str(args.work_us),
         "--reply-bytes", str(args.reply_bytes)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    fields = dict(part.split("=", 1) for part in process.stdout.readline().split())
    channel = grpc.insecure_channel(fields["grpc"])
    call = identity_service_pb2_grpc.IdentityServiceStub(channel).WhoAmI
    request = identity_service_pb2.WhoAmIRequest()
    label = (f"latency_server, TCP_NODELAY {'on' if args.nodelay == 'true' else 'off'}, "
             f"{args.work_us} µs of work, {args.reply_bytes} B reply")
    stop = lambda: (process.stdin.close(), process.wait(timeout=10))
    return channel, call, request, fields["token"], fields["metrics"], WHO_AM_I, label, stop


def start_platform(args):
    """`vte up --demo` on shifted ports, and a development token of the `site` role."""
    offset = args.port_offset
    process = subprocess.Popen(
        [args.platform, "up", "--demo", "--port-offset", str(offset)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 300
    for line in process.stdout:
        if "Stop with Ctrl-C" in line:
            break
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit("vte up did not come up")
    token = subprocess.run(
        [args.platform, "token", "site", "--subject", "latency-bench"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    channel = grpc.insecure_channel(f"127.0.0.1:{50051 + offset}")
    call = offers_service_pb2_grpc.OffersServiceStub(channel).SearchOffers
    request = offer_requests_pb2.SearchOffersRequest()

    def stop():
        process.send_signal(subprocess.signal.SIGINT)
        process.wait(timeout=60)

    label = f"vte up --demo ({args.platform.rsplit('/', 1)[-1]}), SearchOffers"
    return channel, call, request, token, f"127.0.0.1:{9451 + offset}", SEARCH_OFFERS, label, stop


def main():
    parser = argparse.ArgumentParser()
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--server", help="the latency_server example binary")
    target.add_argument("--platform", help="a vte binary, to run `vte up --demo`")
    parser.add_argument("--nodelay", choices=["true", "false"], default="true")
    parser.add_argument("--port-offset", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument(
        "--work-us", type=int, default=500,
        help="what each call awaits before answering, as a handler awaits its database",
    )
    parser.add_argument("--reply-bytes", type=int, default=16000,
                        help="the size of each reply (a page of 20 demo offers: 15,890 B)")
    parser.add_argument("--expect-within-ms", type=float)
    args = parser.parse_args()

    start = start_platform if args.platform else start_latency_server
    channel, call, request, token, metrics, method, label, stop = start(args)
    try:
        grpc.channel_ready_future(channel).result(timeout=30)
        metadata = [("authorization", f"Bearer {token}")]
        for _ in range(args.warmup):
            call(request, metadata=metadata, timeout=5)
        before_buckets, before_totals = scrape(metrics, method)
        samples = []
        for _ in range(args.calls):
            started = time.perf_counter()
            call(request, metadata=metadata, timeout=5)
            samples.append(time.perf_counter() - started)
        after_buckets, after_totals = scrape(metrics, method)
        channel.close()
    finally:
        stop()

    samples.sort()
    counted = after_totals["count"] - before_totals["count"]
    assert counted == args.calls, f"the server counted {counted} calls, not {args.calls}"
    server_p50 = histogram_quantile(0.5, before_buckets, after_buckets)
    server_mean = (after_totals["sum"] - before_totals["sum"]) / counted
    client_p50 = percentile(samples, 0.5)
    gap = client_p50 - server_p50
    ms = lambda seconds: f"{seconds * 1e3:.2f} ms"
    print(
        f"| {label} | {args.calls} | {ms(client_p50)} | {ms(percentile(samples, 0.99))} "
        f"| {ms(statistics.fmean(samples))} | {ms(server_p50)} | {ms(server_mean)} "
        f"| {ms(gap)} |",
        flush=True,
    )
    if args.expect_within_ms is not None and gap * 1e3 > args.expect_within_ms:
        print(f"FAILED: the client's p50 is {ms(gap)} above the server's "
              f"(limit {args.expect_within_ms} ms)")
        sys.exit(1)


if __name__ == "__main__":
    main()
