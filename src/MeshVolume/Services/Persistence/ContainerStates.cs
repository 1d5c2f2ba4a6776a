using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet.Models;

namespace MeshVolume.Services.Persistence
{
    /// <summary>
    /// A failed check inside a step, such as a sentinel file that did not come back.
    /// </summary>
    public sealed class PersistenceStepException : System.Exception
    {
        public PersistenceStepException(string message)
            : base(message)
        {
        }
    }

    /// <summary>Starts, stops and runs commands in the containers of a persistence check.</summary>
    internal static class ContainerStates
    {
        /// <summary>Starts a container and checks that it is still running afterwards.</summary>
        public static async Task StartAsync(
            DockerEngine engine, string id, string name, CancellationToken cancellationToken)
        {
            await engine.Client.Containers.StartContainerAsync(
                id, new ContainerStartParameters(), cancellationToken).ConfigureAwait(false);
            ContainerInspectResponse container = await engine.Client.Containers
                .InspectContainerAsync(id, cancellationToken).ConfigureAwait(false);
            if (!container.State.Running)
            {
                string error = string.IsNullOrEmpty(container.State.Error)
                    ? string.Empty
                    : ": " + container.State.Error;
                throw new PersistenceStepException(
                    $"The container '{name}' stopped right after it started, with exit code " +
                    $"{container.State.ExitCode}{error}. Its program must keep running. For a " +
                    "probe, pass a long-running program of the image with -Command.");
            }
        }

        /// <summary>Stops a container, giving it the stop timeout it was created with.</summary>
        public static Task StopAsync(
            DockerEngine engine, string id, CancellationToken cancellationToken)
        {
            return engine.Client.Containers.StopContainerAsync(
                id, new ContainerStopParameters(), cancellationToken);
        }

        /// <summary>
        /// Runs a command as root in a running container and returns null, or what went wrong:
        /// the exit code and the command's error output.
        /// </summary>
        public static async Task<string> ExecAsync(
            DockerEngine engine, string id, IList<string> command, CancellationToken cancellationToken)
        {
            var parameters = new ContainerExecCreateParameters
            {
                Cmd = command,
                User = "0",
                AttachStdout = true,
                AttachStderr = true,
            };
            ContainerExecCreateResponse exec = await engine.Client.Exec
                .CreateContainerExecAsync(id, parameters, cancellationToken).ConfigureAwait(false);
            string stderr;
            using (var stream = await engine.Client.Exec.StartContainerExecAsync(
                exec.ID, new ContainerExecStartParameters(), cancellationToken).ConfigureAwait(false))
            {
                (_, stderr) = await stream.ReadOutputToEndAsync(cancellationToken)
                    .ConfigureAwait(false);
            }

            ContainerExecInspectResponse result = await engine.Client.Exec
                .InspectContainerExecAsync(exec.ID, cancellationToken).ConfigureAwait(false);
            if (result.ExitCode == 0)
            {
                return null;
            }

            return $"'{string.Join(" ", command)}' exited with code {result.ExitCode}" +
                (string.IsNullOrWhiteSpace(stderr) ? "." : $": {stderr.Trim()}");
        }
    }
}
