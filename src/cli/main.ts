console.log('axon: CLI not built yet');
