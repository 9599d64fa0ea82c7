import type { Socket } from "node:net";
import { AuthzError } from "../errors.ts";
import { errorBody } from "./error-response.ts";

/**
 * Node's HTTP parser refuses a request it cannot read (a NUL or another control character in a header, a bad
 * request line, an oversized header block) before any handler runs, and answers a bare 400. This answers it in the
 * API's error shape instead, and closes the connection: after a parse error the byte stream has no known framing.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
  const status = tooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request";
  const refused = new AuthzError("invalid_request", tooLarge ? "request headers too large" : "malformed HTTP request", {
    details: [{ path: "(request)", message: tooLarge ? "headers too large" : "not a valid HTTP/1.1 request" }],
  });
  const payload = JSON.stringify(errorBody(refused));
  socket.end(
    `HTTP/1.1 ${status}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(payload)}\r\nconnection: close\r\n\r\n${payload}`,
  );
}
