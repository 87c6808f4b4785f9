// A lean client for the load generator: the Socket.IO v5 protocol over Engine.IO v4, websocket
// transport only, text packets only, default namespace. It speaks exactly what socket.io-client
// sends (the servers cannot tell the difference) without its per-socket layers (manager, engine
// socket, transport, emitters), so on a shared 2-core machine the load client is not the bottleneck.
//
//   Engine.IO frames: 0 open, 2 ping (server) -> 3 pong, 4 message.
//   Socket.IO packets (inside 4): 0 CONNECT [auth], 1 DISCONNECT, 2 EVENT [ack id] [name, data],
//   3 ACK <id> [data], 4 CONNECT_ERROR {message, data}.
import WebSocket from 'ws';

export class WireSocket {
  /** @param {string} url http(s) origin of the server; @param {object} auth handshake auth payload */
  constructor(url, auth) {
    this.handlers = new Map();
    this.acks = new Map();
    this.nextAck = 0;
    this.connected = false;
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, {
      perMessageDeflate: false,
    });
    this.ws = ws;
    ws.on('message', (data) => this.onFrame(data.toString()));
    ws.on('error', (error) => this.fire('connect_error', error));
    ws.on('close', () => {
      if (this.connected) this.fire('disconnect', 'transport close');
      this.connected = false;
    });
    this.auth = auth;
  }

  on(event, handler) {
    this.handlers.set(event, handler);
    return this;
  }

  /** `emit(event, data[, ack])`, as socket.io-client: an ack callback makes it an EVENT with an id. */
  emit(event, data, ack) {
    let id = '';
    if (ack) {
      id = String(this.nextAck++);
      this.acks.set(id, ack);
    }
    this.ws.send(`42${id}${JSON.stringify([event, data])}`);
  }

  close() {
    this.connected = false;
    this.ws.close();
  }

  fire(event, payload) {
    this.handlers.get(event)?.(payload);
  }

  onFrame(frame) {
    switch (frame[0]) {
      case '0': // Engine.IO open: connect to the default namespace with the auth payload
        this.ws.send(`40${JSON.stringify(this.auth)}`);
        return;
      case '2':
        this.ws.send('3');
        return;
      case '4':
        return this.onPacket(frame);
      default:
    }
  }

  onPacket(frame) {
    const type = frame[1];
    if (type === '2') {
      const [event, payload] = JSON.parse(frame.slice(2));
      this.fire(event, payload);
    } else if (type === '3') {
      const open = frame.indexOf('[');
      const id = frame.slice(2, open);
      const ack = this.acks.get(id);
      this.acks.delete(id);
      ack?.(JSON.parse(frame.slice(open))[0]);
    } else if (type === '0') {
      this.connected = true;
      this.fire('connect');
    } else if (type === '4') {
      this.fire('connect_error', JSON.parse(frame.slice(2)));
    } else if (type === '1') {
      this.connected = false;
      this.fire('disconnect', 'io server disconnect');
    }
  }
}
