using System.Management.Automation;
using MeshVolume.Services;

namespace MeshVolume.Commands
{
    /// <summary>Base of the cmdlets that talk to a Docker engine.</summary>
    public abstract class DockerCmdlet : MeshCmdlet
    {
        private DockerEngine _engine;

        /// <summary>
        /// <para type="description">Docker engine endpoint, such as unix:///var/run/docker.sock,
        /// npipe://./pipe/docker_engine or tcp://HOST:2376. Defaults to the DOCKER_HOST
        /// environment variable, then to the platform's local engine.</para>
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string DockerHost { get; set; }

        /// <summary>Engine connection, opened on first use and closed when the cmdlet ends.</summary>
        protected DockerEngine Engine
        {
            get
            {
                if (_engine == null)
                {
                    try
                    {
                        _engine = RunAsync(token => DockerEngine.ConnectAsync(DockerHost, token));
                    }
                    catch (MeshVolumeException ex)
                    {
                        ThrowTerminatingError(ex.ToErrorRecord(DockerHost));
                    }

                    PostVerbose(() => $"Connected to the Docker engine at {_engine.Name} " +
                        $"(engine {_engine.EngineVersion}, API {_engine.ApiVersion}).");
                }

                return _engine;
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _engine?.Dispose();
                _engine = null;
            }

            base.Dispose(disposing);
        }
    }
}
