/** Retained JSON state per channel at `<base>/<channel>/state` (PROTOCOLS.md §5.2). */
export interface MqttState {
  readonly live: boolean;
  readonly event: 'live' | 'title' | 'offline' | 'test';
  readonly title: string | null;
  readonly tags: readonly string[];
  readonly channel: {
    readonly id: string;
    readonly name: string;
    readonly platform: string;
    readonly url: string;
  };
  readonly started_at: string | null;
  readonly at: string;
  readonly message: string;
}

/** Home Assistant discovery config of one `binary_sensor` (retained). */
export interface HomeAssistantBinarySensor {
  readonly name: string;
  readonly unique_id: string;
  readonly object_id: string;
  readonly state_topic: string;
  readonly value_template: string;
  readonly json_attributes_topic: string;
  readonly device_class: 'running';
  readonly device: {
    readonly identifiers: readonly string[];
    readonly name: string;
    readonly manufacturer: string;
  };
}

export interface MqttPublish {
  readonly topic: string;
  readonly payload: string;
  readonly retain: boolean;
}
