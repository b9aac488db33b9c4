import { baseConfig } from '../../fixtures/config/base-config';
import { parseConfig } from '../../../shared/config/load';
import { runCases } from './problems';

/** Control Tower settings: logs and network, compliant and broken. */
runCases('logs and network settings', [
  { name: 'logs omitted: valid', change: () => undefined, lines: [] },
  { name: 'logs.retentionDays 731: valid', change: (d) => (d.logs = { retentionDays: 731 }), lines: [] },
  { name: 'logs.encryption NONE: valid', change: (d) => (d.logs = { encryption: 'NONE' }), lines: [] },
  {
    name: 'logs.retentionDays that CloudWatch does not offer',
    change: (d) => (d.logs = { retentionDays: 42 }),
    lines: [
      'logs.retentionDays: expected a CloudWatch Logs retention, one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, got 42',
    ],
  },
  {
    name: 'logs.encryption misspelt',
    change: (d) => (d.logs = { encryption: 'kms' }),
    lines: ['logs.encryption: expected KMS or NONE, got "kms"'],
  },
  {
    name: 'network with subnet and security group ids: valid',
    change: (d) => (d.network = { subnetIds: ['subnet-0a1b2c3d'], securityGroupIds: ['sg-0a1b2c3d'] }),
    lines: [],
  },
  {
    name: 'network with a subnet name instead of an id',
    change: (d) => (d.network = { subnetIds: ['private-a'], securityGroupIds: ['sg-0a1b2c3d'] }),
    lines: ['network.subnetIds[0]: expected a subnet id such as subnet-0a1b2c3d, got "private-a"'],
  },
  {
    name: 'network without security groups',
    change: (d) => (d.network = { subnetIds: ['subnet-0a1b2c3d'], securityGroupIds: [] }),
    lines: ['network.securityGroupIds: expected at least one security group id, got an array of 0'],
  },
]);

describe('logs defaults', () => {
  it('keep 365 days, KMS-encrypted, when the section is omitted', () => {
    // Act
    const config = parseConfig(baseConfig());

    // Assess
    expect(config.logs).toEqual({ retentionDays: 365, encryption: 'KMS' });
    expect(config.network).toBeUndefined();
  });
});
