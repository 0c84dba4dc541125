import { MemoryKeyStore } from '../../src/index.js'
import { keyStoreConformance } from '../../src/testing/index.js'

keyStoreConformance('MemoryKeyStore', () => new MemoryKeyStore(), {
  capabilities: {
    touch: true,
    onRevoke: true,
    lifecycleFields: true,
    revokeReason: true,
    roll: true,
    startRollGrace: true,
    setDisabled: true,
    update: true,
    listPage: true,
    insertCapped: true,
    onInvalidate: true,
    pepperRotation: true,
  },
})
