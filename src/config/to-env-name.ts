/** The variable a flag is also read from: `docker-host` → `EDS_AGENT_DOCKER_HOST`. */
export function toEnvName(flag: string): string {
  return `EDS_AGENT_${flag.toUpperCase().replaceAll('-', '_')}`;
}
