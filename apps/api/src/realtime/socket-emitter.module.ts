import { Module } from '@nestjs/common';
import { SocketEmitter } from './socket-emitter.js';

/** Provides {@link SocketEmitter} to the modules that push events (messaging, receipts, realtime). */
@Module({ providers: [SocketEmitter], exports: [SocketEmitter] })
export class SocketEmitterModule {}
