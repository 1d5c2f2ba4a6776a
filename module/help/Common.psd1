@{
    # Texts of parameters that several cmdlets share; a cmdlet's own file may override them.
    Parameters = @{
        DockerHost = 'Docker engine endpoint, such as unix:///var/run/docker.sock, npipe://./pipe/docker_engine or tcp://HOST:2376. Defaults to the DOCKER_HOST environment variable, then to the platform''s local engine. TLS settings come from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH.'
        WhatIf     = 'Shows what the command would do without doing it.'
        Confirm    = 'Asks for confirmation before each change.'
    }
}
