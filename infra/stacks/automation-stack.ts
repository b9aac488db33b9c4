import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { HarbormasterConfig } from '../../shared/config/schema';

export interface AutomationStackProps extends StackProps {
  /** The validated Harbormaster config. */
  readonly config: HarbormasterConfig;
}

/** Placeholder: the owning issue fills this stack in. */
export class AutomationStack extends Stack {
  constructor(scope: Construct, id: string, props: AutomationStackProps) {
    super(scope, id, props);
  }
}
