# The monitoring read path of the local Sunlight (sunlight.sh): a static file server over the log's
# local directory that, like skylight (Sunlight's production read path), serves the data and names
# tiles Sunlight stores gzip-compressed with `Content-Encoding: gzip`, as static-ct-api says, so a
# client sees the TileLeaf bytes. Everything else is served as stored. rekor2.sh serves Rekor v2's
# Tessera directory with it too (tlog-tiles: no data/names tiles, so all as stored).
#   python3 static-tiles.py PORT DIR
import functools
import http.server
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        if self.path.startswith("/tile/data/") or self.path.startswith("/tile/names/"):
            self.send_header("Content-Encoding", "gzip")
        super().end_headers()

    def log_message(self, *args):
        pass


port, directory = int(sys.argv[1]), sys.argv[2]
http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Handler, directory=directory)).serve_forever()
