using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Linq;
using System.Management.Automation;
using MeshVolume.Compose;
using MeshVolume.Model;

namespace MeshVolume.Commands
{
    /// <summary>
    /// <para type="synopsis">Reads the volumes and the services' mounts of a docker-compose
    /// project.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "MeshComposeVolume", DefaultParameterSetName = VolumeSet)]
    [OutputType(typeof(ComposeVolumeInfo), ParameterSetName = new[] { VolumeSet })]
    [OutputType(typeof(ComposeMountInfo), ParameterSetName = new[] { MountSet })]
    public sealed class GetMeshComposeVolumeCommand : MeshCmdlet
    {
        private const string VolumeSet = "Volume";
        private const string MountSet = "Mount";

        /// <summary>
        /// <para type="description">Compose files of one project; later files override earlier
        /// ones. A folder means the default compose file in it. Defaults to COMPOSE_FILE,
        /// else to docker-compose.yml (or compose.yml) in the current folder or its parents,
        /// with its override file.</para>
        /// </summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName", "File")]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; }

        /// <summary>
        /// <para type="description">Project name; compose lowercases it and keeps only a-z, 0-9,
        /// - and _. Defaults to COMPOSE_PROJECT_NAME, else to the folder of the first file.</para>
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string ProjectName { get; set; }

        /// <summary>
        /// <para type="description">File of KEY=VALUE variables for substitution. Defaults to
        /// .env beside the first compose file; the process environment wins over it.</para>
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string EnvironmentFile { get; set; }

        /// <summary>
        /// <para type="description">Returns the services' mounts instead of the top-level
        /// volumes.</para>
        /// </summary>
        [Parameter(Mandatory = true, ParameterSetName = MountSet)]
        [Alias("Mounts")]
        public SwitchParameter Mount { get; set; }

        /// <summary>
        /// <para type="description">Returns only the mounts of the services whose names
        /// match.</para>
        /// </summary>
        [Parameter(ParameterSetName = MountSet)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Service { get; set; }

        protected override void ProcessRecord()
        {
            List<string> files;
            try
            {
                files = ResolveFiles();
            }
            catch (MeshVolumeException ex)
            {
                WriteError(ex.ToErrorRecord(Path));
                return;
            }

            ComposeProject project;
            try
            {
                string environmentFile = EnvironmentFile == null
                    ? null
                    : SessionState.Path.GetUnresolvedProviderPathFromPSPath(EnvironmentFile);
                project = ComposeProject.Load(files, ProjectName, environmentFile);
            }
            catch (MeshVolumeException ex)
            {
                WriteError(ex.ToErrorRecord(files[0]));
                return;
            }

            if (IsVerbose)
            {
                WriteVerbose($"Read {string.Join(", ", files)} as compose project '{project.Name}': " +
                    $"{project.Volumes.Count} volumes, {project.Mounts.Count} mounts.");
            }

            foreach (string warning in project.Warnings)
            {
                WriteWarning(warning);
            }

            if (Mount.IsPresent)
            {
                WriteObject(project.Mounts.Where(MatchesService), true);
                return;
            }

            WriteObject(project.Volumes, true);
        }

        private bool MatchesService(ComposeMountInfo mount)
        {
            return Service == null || Service.Any(pattern =>
                WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase).IsMatch(mount.Service));
        }

        private List<string> ResolveFiles()
        {
            if (Path != null)
            {
                return Path.SelectMany(ResolvePath).ToList();
            }

            string composeFile = Environment.GetEnvironmentVariable("COMPOSE_FILE");
            if (!string.IsNullOrEmpty(composeFile))
            {
                string separator = Environment.GetEnvironmentVariable("COMPOSE_PATH_SEPARATOR");
                char split = string.IsNullOrEmpty(separator)
                    ? System.IO.Path.PathSeparator
                    : separator[0];
                return composeFile.Split(split).SelectMany(ResolvePath).ToList();
            }

            return FindDefaultFiles(SessionState.Path.CurrentFileSystemLocation.ProviderPath);
        }

        private IEnumerable<string> ResolvePath(string path)
        {
            string literal = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
            if (File.Exists(literal))
            {
                return new[] { literal };
            }

            if (Directory.Exists(literal))
            {
                return FindDefaultFilesIn(literal) ?? throw new MeshVolumeException(
                    $"The folder '{literal}' has no compose file. Name one of " +
                    $"{string.Join(", ", ComposeProject.DefaultFileNames)} in it, or give the " +
                    "file itself.",
                    MeshErrors.ComposeFileNotFound, ErrorCategory.ObjectNotFound);
            }

            Collection<string> resolved;
            try
            {
                resolved = SessionState.Path.GetResolvedProviderPathFromPSPath(
                    path, out ProviderInfo _);
            }
            catch (Exception ex) when (ex is ItemNotFoundException
                || ex is System.Management.Automation.DriveNotFoundException)
            {
                resolved = new Collection<string>();
            }

            List<string> files = resolved.Where(File.Exists).ToList();
            if (files.Count == 0)
            {
                throw new MeshVolumeException(
                    $"The compose file '{path}' was not found. Give the path of an existing file.",
                    MeshErrors.ComposeFileNotFound, ErrorCategory.ObjectNotFound);
            }

            return files;
        }

        // Looks in the folder and then its parents, as compose does.
        private static List<string> FindDefaultFiles(string folder)
        {
            var directory = new DirectoryInfo(folder);
            for (; directory != null; directory = directory.Parent)
            {
                List<string> files = FindDefaultFilesIn(directory.FullName);
                if (files != null)
                {
                    return files;
                }
            }

            throw new MeshVolumeException(
                $"No compose file was found in '{folder}' or its parents. Give one with -Path, " +
                $"or name it {string.Join(", ", ComposeProject.DefaultFileNames)}.",
                MeshErrors.ComposeFileNotFound, ErrorCategory.ObjectNotFound);
        }

        // Returns the first default compose file of the folder and its override file, or null.
        private static List<string> FindDefaultFilesIn(string folder)
        {
            string main = ComposeProject.DefaultFileNames
                .Select(name => System.IO.Path.Combine(folder, name))
                .FirstOrDefault(File.Exists);
            if (main == null)
            {
                return null;
            }

            var files = new List<string> { main };
            files.AddRange(ComposeProject.DefaultOverrideFileNames
                .Select(name => System.IO.Path.Combine(folder, name))
                .Where(File.Exists)
                .Take(1));
            return files;
        }
    }
}
