/** The AuditStore conformance kit on the memory store (the SQL and Redis ones: test/stores). */
import { MemoryAuditStore } from '../../src/index.js'
import { auditStoreConformance } from '../../src/testing/index.js'

auditStoreConformance('MemoryAuditStore', () => new MemoryAuditStore())
