import asyncio, time, io, os
from app.observe import Observer
from app.metrics import Metrics
from app.access_log import AccessLog
from gis.settings import LogSettings, MetricsSettings

async def inner(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"etag", b'"x"'), (b"x-tile-cache", b"hit"), (b"content-type", b"application/vnd.mapbox-vector-tile")]})
    await send({"type": "http.response.body", "body": b"x" * 20000})

scope = {"type": "http", "method": "GET", "path": "/maps/city/14/9420/5594.mvt", "query_string": b"", "headers": [(b"host", b"127.0.0.1"), (b"user-agent", b"python-httpx/0.27")], "client": ("127.0.0.1", 5555)}
async def send(m): pass
async def receive(): return {}
async def run(app, n=100000):
    t = time.perf_counter()
    for _ in range(n):
        await app(scope, receive, send)
    return (time.perf_counter() - t) / n * 1e6
devnull = open(os.devnull, "wb")
apps = {
 "bare": inner,
 "metrics": Observer(inner, Metrics(), None, MetricsSettings()),
 "log": Observer(inner, None, AccessLog(LogSettings(), stream=devnull), MetricsSettings()),
 "both": Observer(inner, Metrics(), AccessLog(LogSettings(), stream=devnull), MetricsSettings()),
 "both-logfmt": Observer(inner, Metrics(), AccessLog(LogSettings(format="logfmt"), stream=devnull), MetricsSettings()),
}
res = {k: [] for k in apps}
for _ in range(7):
    for name, app in apps.items():
        res[name].append(asyncio.run(run(app, 30000)))
for name, v in res.items():
    print(name, round(min(v), 2), "µs")

class Wrap:
    def __init__(self, app): self.app = app
    async def __call__(self, scope, receive, send):
        async def s2(m):
            await send(m)
        await self.app(scope, receive, s2)
from app.observe import _Answer
class Wrap2:
    def __init__(self, app): self.app = app
    async def __call__(self, scope, receive, send):
        a = _Answer(send, "tiles")
        await self.app(scope, receive, a.send)
from time import perf_counter
class Wrap3:
    def __init__(self, app): self.app = app
    async def __call__(self, scope, receive, send):
        a = _Answer(send, "tiles")
        t = perf_counter()
        try:
            await self.app(scope, receive, a.send)
        finally:
            x = perf_counter() - t
res = {k: [] for k in ("bare", "wrap", "answer", "answer+time", "metrics")}
apps2 = {"bare": inner, "wrap": Wrap(inner), "answer": Wrap2(inner), "answer+time": Wrap3(inner), "metrics": apps["metrics"]}
for _ in range(7):
    for name, app in apps2.items():
        res[name].append(asyncio.run(run(app, 30000)))
for name, v in res.items():
    print(name, round(min(v), 2), "µs")
