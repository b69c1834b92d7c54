"""Serve School Notes: ``schoolnotes-serve [--host 127.0.0.1] [--port 8000] [--data-dir DIR]``.

Uses the standard library's wsgiref server: fine for a staff room on a school LAN. ``--port 0``
picks a free port; the first line on stdout says which (``schoolnotes: serving http://HOST:PORT/``),
so scripts can start it without racing for a port.
"""

import argparse
import signal
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server

from schoolnotes.app import make_app
from schoolnotes.config import data_dir
from schoolnotes.store import NotMigrated


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        sys.stderr.write("schoolnotes: %s %s\n" % (self.address_string(), format % args))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="schoolnotes-serve", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for the whole LAN)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    parser.add_argument("--data-dir", help="the data folder (default: $SCHOOLNOTES_DATA_DIR, else ./data)")
    args = parser.parse_args(argv)
    try:
        app = make_app(args.data_dir)
    except NotMigrated as err:
        sys.stderr.write("schoolnotes: %s\n" % err)
        return 1
    httpd = make_server(args.host, args.port, app, handler_class=_QuietHandler)
    host, port = httpd.server_address[:2]
    print("schoolnotes: serving http://%s:%d/ (data: %s)" % (host, port, data_dir(args.data_dir)), flush=True)
    # SIGTERM (what service managers and the demo send) stops cleanly, like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
