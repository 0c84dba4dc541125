import { MemoryKeyStore } from '../../src/index.js'
import { keyStoreConformance } from '../../src/testing/index.js'

keyStoreConformance('MemoryKeyStore', () => new MemoryKeyStore(), {
  capabilities: { touch: true, onRevoke: true, pepperRotation: true },
})
