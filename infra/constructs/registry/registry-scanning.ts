import { CfnRegistryScanningConfiguration } from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';
import type { ScanningConfig } from '../../../shared/config/schema';

export interface RegistryScanningProps {
  /** The config's `scanning` block. */
  readonly config: ScanningConfig;
}

/**
 * The registry's scanning configuration (R4): BASIC (scan on push) or ENHANCED (Amazon Inspector,
 * scan on push and continuous), each rule with its repository wildcard filters. There is one per
 * registry: this construct owns it.
 */
export class RegistryScanning extends Construct {
  constructor(scope: Construct, id: string, props: RegistryScanningProps) {
    super(scope, id);
    new CfnRegistryScanningConfiguration(this, 'Resource', {
      scanType: props.config.type,
      rules: props.config.rules.map((rule) => ({
        scanFrequency: rule.frequency,
        repositoryFilters: rule.filters.map((filter) => ({ filter, filterType: 'WILDCARD' })),
      })),
    });
  }
}
