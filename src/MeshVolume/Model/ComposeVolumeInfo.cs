using System.Collections.Generic;

namespace MeshVolume.Model
{
    /// <summary>
    /// A volume declared in the top-level volumes section of a compose project, resolved as
    /// docker-compose would create it. Its Name, Driver, DriverOptions, Labels and External
    /// properties bind by name to New-MeshVolume.
    /// </summary>
    public sealed class ComposeVolumeInfo
    {
        /// <summary>
        /// Compose project name, normalised as compose does (lowercase, [-_a-z0-9]).
        /// </summary>
        public string Project { get; set; }

        /// <summary>Key of the volume in the volumes section, which services refer to.</summary>
        public string Key { get; set; }

        /// <summary>
        /// Docker volume name: the name field, else the key for an external volume, else
        /// PROJECT_KEY.
        /// </summary>
        public string Name { get; set; }

        /// <summary>
        /// Volume driver; "local" when the file names none, null for an external volume.
        /// </summary>
        public string Driver { get; set; }

        /// <summary>Driver options as text, as compose passes them to the engine.</summary>
        public Dictionary<string, string> DriverOptions { get; set; } =
            new Dictionary<string, string>();

        /// <summary>
        /// Every label compose puts on the volume when it creates it: the declared labels plus
        /// com.docker.compose.project, com.docker.compose.volume and com.docker.compose.version.
        /// Empty for an external volume, which compose never creates.
        /// </summary>
        public Dictionary<string, string> Labels { get; set; } = new Dictionary<string, string>();

        /// <summary>Labels as the file declares them, from a mapping or a KEY=VALUE list.</summary>
        public Dictionary<string, string> DeclaredLabels { get; set; } =
            new Dictionary<string, string>();

        /// <summary>
        /// True when the volume must already exist: compose uses it and never creates it.
        /// </summary>
        public bool External { get; set; }

        /// <summary>Services that mount the volume, in the order of the file.</summary>
        public string[] Services { get; set; } = new string[0];

        /// <summary>
        /// Full path of the compose file whose definition of the volume is in force.
        /// </summary>
        public string SourceFile { get; set; }

        public override string ToString()
        {
            return Name;
        }
    }
}
