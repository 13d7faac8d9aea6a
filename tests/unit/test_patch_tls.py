"""TLS under ``k.patch()``: unmodified stdlib HTTPS and STARTTLS clients and servers, with OpenSSL's
bytes travelling through the model (compat/ssl_socket.py).

A patch gives every thread one host's modules, so server and client share the patched host here
(the server's threads run after the patch of another host would have been left)."""
from __future__ import annotations

import http.client
import http.server
import pathlib
import re
import smtplib
import socketserver
import ssl
import threading
import urllib.request

import epollsim

BYTES = re.compile(r"b'(?:[^'\\]|\\.)*'" + "|" + r'b"(?:[^"\\]|\\.)*"')  # a buffer as the trace shows it
DATA = pathlib.Path(__file__).parents[1] / "data"
CERT, KEY = str(DATA / "tls-cert.pem"), str(DATA / "tls-key.pem")


def server_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERT, KEY)
    return ctx


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = f"hello {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def https_run(seed: int) -> tuple[list[str], list[str]]:
    """An HTTPS server and two blocking clients (http.client, urllib) in one patched program."""
    k = epollsim.Kernel(seed, trace=True)
    got: list[str] = []
    with k.patch():
        httpd = http.server.HTTPServer(("127.0.0.1", 443), Hello)
        httpd.socket = server_context().wrap_socket(httpd.socket, server_side=True)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        ctx = ssl.create_default_context(cafile=CERT)
        conn = http.client.HTTPSConnection("localhost", 443, context=ctx, timeout=5)
        conn.request("GET", "/one")
        response = conn.getresponse()
        got.append(f"{response.status} {response.read().decode()}")
        conn.close()
        with urllib.request.urlopen("https://localhost/two", context=ctx, timeout=5) as r:
            got.append(f"{r.status} {r.read().decode()}")
    # OpenSSL's random bytes differ from run to run (its generator is not the seed's): compare the
    # shape of the trace, every buffer replaced by its length.
    shape = [BYTES.sub("<bytes>", line) for line in k.trace.lines()]
    return got, shape


def test_an_https_server_and_blocking_https_clients() -> None:
    got, shape = https_run(seed=0)
    assert got == ["200 hello /one", "200 hello /two"]
    assert any("sendto" in line for line in shape)
    again, shape_again = https_run(seed=0)
    assert again == got and shape_again == shape  # the same run, but for OpenSSL's random bytes


def test_the_patch_restores_ssl_exactly() -> None:
    real_socket_class, real_class_attr = ssl.SSLSocket, ssl.SSLContext.sslsocket_class
    k = epollsim.Kernel()
    with k.patch():
        assert ssl.SSLSocket is not real_socket_class
        assert ssl.SSLContext.sslsocket_class is ssl.SSLSocket
        assert http.client.ssl.SSLSocket is ssl.SSLSocket
    assert ssl.SSLSocket is real_socket_class and ssl.SSLContext.sslsocket_class is real_class_attr


class Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP for STARTTLS: EHLO, STARTTLS, EHLO again over TLS, NOOP, QUIT."""

    def handle(self) -> None:
        self.wfile.write(b"220 server ESMTP\r\n")
        tls = False
        while line := self.rfile.readline():
            verb = line.strip().split(b" ")[0].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-server\r\n250 STARTTLS\r\n" if not tls else b"250 server\r\n")
            elif verb == b"STARTTLS":
                self.wfile.write(b"220 go ahead\r\n")
                self.wfile.flush()
                self.connection = server_context().wrap_socket(self.connection, server_side=True)
                self.rfile = self.connection.makefile("rb")
                self.wfile = self.connection.makefile("wb", buffering=0)
                tls = True
            elif verb == b"NOOP":
                self.wfile.write(b"250 tls\r\n" if tls else b"250 clear\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return


def test_smtplib_starttls() -> None:
    k = epollsim.Kernel(1)
    with k.patch():
        smtpd = socketserver.TCPServer(("127.0.0.1", 25), Smtp)
        threading.Thread(target=smtpd.serve_forever, daemon=True).start()
        smtp = smtplib.SMTP("localhost", 25, timeout=5)
        smtp.ehlo()
        assert smtp.noop() == (250, b"clear")
        smtp.starttls(context=ssl.create_default_context(cafile=CERT))
        assert isinstance(smtp.sock, ssl.SSLSocket) and smtp.sock.version() == "TLSv1.3"
        smtp.ehlo()
        assert smtp.noop() == (250, b"tls")
        smtp.quit()


def test_an_https_server_on_one_host_and_its_client_on_another_with_a_partition() -> None:
    k = epollsim.Kernel(2)
    server = k.add_host("server")
    k.network.set_latency("localhost", "server", 0.005)
    with k.patch():
        def boot() -> None:
            httpd = http.server.HTTPServer(("0.0.0.0", 443), Hello)
            httpd.socket = server_context().wrap_socket(httpd.socket, server_side=True)
            threading.Thread(target=httpd.serve_forever, daemon=True).start()

        server.start(boot).join()
        ctx = ssl.create_default_context(cafile=CERT)
        with urllib.request.urlopen("https://server/one", context=ctx, timeout=5) as r:
            assert r.read() == b"hello /one"
        k.network.partition("localhost", "server")
        conn = http.client.HTTPSConnection("server", 443, context=ctx, timeout=2)
        try:
            conn.request("GET", "/two")
        except TimeoutError:
            pass
        else:
            raise AssertionError("the handshake crossed a partition")
        k.network.heal("localhost", "server")
        with urllib.request.urlopen("https://server/three", context=ctx, timeout=5) as r:
            assert r.read() == b"hello /three"
