// Baseline for the realtime bench: a bare Socket.IO 4 relay speaking the same wire protocol as the
// api (message:send -> message:new to the device room, ack), with no auth, validation or storage.
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.env.PORT ?? 0);
const http = createServer();
const io = new Server(http, { transports: ['websocket'], serveClient: false, maxHttpBufferSize: 2e6 });
let seq = 0;
io.on('connection', (socket) => {
  const device = String(socket.handshake.auth?.token ?? '');
  socket.join(`device:${device}`);
  socket.on('message:send', (payload, ack) => {
    const now = new Date().toISOString();
    for (const envelope of payload.envelopes) {
      io.to(`device:${envelope.deviceId}`).emit('message:new', {
        id: String(++seq),
        messageId: payload.clientMessageId,
        kind: 'message',
        senderUserId: device,
        senderDeviceId: device,
        recipientUserId: payload.recipientUserId,
        type: envelope.type,
        ciphertext: envelope.ciphertext,
        serverTimestamp: now,
      });
    }
    if (typeof ack === 'function')
      ack({ ok: true, messageId: payload.clientMessageId, serverTimestamp: now, duplicate: false });
  });
  socket.on('message:ack', (_payload, ack) => typeof ack === 'function' && ack({ ok: true }));
  socket.emit('queue:empty', {});
});
http.listen(port, '127.0.0.1', () => console.log(`RELAY_LISTENING ${http.address().port}`));
process.on('SIGTERM', () => io.close(() => process.exit(0)));
