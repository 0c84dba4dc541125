import { describeE2e } from './suite.js'

describeE2e('fetch')
