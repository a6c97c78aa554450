"""Chart values of the lab's hub services (lab-token, lab-share); their code is in infra/hub/pod."""
